import { lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { TarEntry } from './tar-pack.js';

/**
 * A job's assets as the entries of one tree, each under its own name: a file as it is (a link
 * named as an asset is followed, as the user named what it points to), a folder with everything
 * in it, links inside kept as links.
 */
export function assetEntries(assets: readonly string[]): TarEntry[] {
  const entries: TarEntry[] = [];
  const walk = (absolute: string, path: string): void => {
    for (const name of readdirSync(absolute).sort()) {
      const full = join(absolute, name);
      const inner = `${path}/${name}`;
      const stat = lstatSync(full);
      if (stat.isDirectory()) {
        entries.push({ type: 'directory', path: inner, mode: stat.mode & 0o7777 });
        walk(full, inner);
      } else if (stat.isSymbolicLink()) entries.push({ type: 'symlink', path: inner, target: readlinkSync(full) });
      else if (stat.isFile()) entries.push({ type: 'file', path: inner, mode: stat.mode & 0o7777, size: stat.size, absolute: full });
    }
  };
  for (const asset of assets) {
    const stat = statSync(asset);
    const name = basename(asset);
    if (stat.isDirectory()) {
      entries.push({ type: 'directory', path: name, mode: stat.mode & 0o7777 });
      walk(asset, name);
    } else entries.push({ type: 'file', path: name, mode: stat.mode & 0o7777, size: stat.size, absolute: asset });
  }
  return entries;
}
