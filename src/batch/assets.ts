import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { resolveUserPath } from '../paths.js';

/**
 * A job's `assets` resolved against the config's folder. Each must be a file or folder now (a
 * typo is said before anything runs, not as a job that finds no input), and no two may take the
 * same name in the job's `resources/` folder. `checked` remembers what was looked at: a million
 * jobs usually name the same few assets.
 */
export function resolveAssets(
  assets: readonly string[],
  baseDir: string,
  at: string,
  issues: string[],
  checked: Map<string, string | undefined>,
): readonly string[] {
  const names = new Map<string, number>();
  return assets.map((asset, index) => {
    const path = resolveUserPath(asset, baseDir);
    if (!checked.has(path)) checked.set(path, problemOf(path));
    const problem = checked.get(path);
    if (problem) issues.push(`${at}[${index}]: ${problem}`);
    const name = basename(path);
    const first = names.get(name);
    if (first !== undefined) issues.push(`${at}[${index}]: both this and ${at}[${first}] would be resources/${name}`);
    else names.set(name, index);
    return path;
  });
}

function problemOf(path: string): string | undefined {
  try {
    const stat = statSync(path);
    return stat.isFile() || stat.isDirectory() ? undefined : `${path} is neither a file nor a folder`;
  } catch (error) {
    return `${path} does not exist (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`;
  }
}
