import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { afterEach } from 'vitest';
import { repoDir } from './cli.js';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The files of `examples/<name>` that git tracks: what a fresh clone has, whatever was made there since. */
function trackedFiles(folder: string): string[] | undefined {
  try {
    return execFileSync('git', ['ls-files', '-z', '--', folder], { cwd: repoDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\0')
      .filter(Boolean);
  } catch {
    // Not a git checkout (an unpacked release): the folder is as it was shipped.
    return undefined;
  }
}

/**
 * A copy of `examples/<name>` with only its tracked files, removed after the test. It is made inside
 * the repository (in the ignored `temp/`), so that the example's `import 'hyperctl'` finds this
 * package as it would in a project that installed it.
 */
export function exampleCopy(name: string): string {
  const source = join('examples', name);
  mkdirSync(join(repoDir, 'temp'), { recursive: true });
  const dest = mkdtempSync(join(repoDir, 'temp', `example-${name}-`));
  made.push(dest);
  const files = trackedFiles(source);
  if (!files) cpSync(join(repoDir, source), dest, { recursive: true });
  else {
    for (const file of files) {
      const target = join(dest, relative(source, file));
      mkdirSync(dirname(target), { recursive: true });
      cpSync(join(repoDir, file), target);
    }
  }
  return dest;
}
