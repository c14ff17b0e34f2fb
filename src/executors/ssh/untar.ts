import { createWriteStream } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Extract } from 'tar-stream';
import { tarLibrary } from '../../lazy-library.js';

/** Where a path from a machine lands below `root`, or undefined when it would land outside (absolute, `..`). */
export function insideOf(root: string, path: string): string | undefined {
  if (path.startsWith('/')) return undefined;
  const target = join(root, path);
  const rel = relative(root, target);
  return rel === '..' || rel.startsWith(`..${sep}`) ? undefined : target;
}

/**
 * A writable tar stream that puts its files and folders below `root`. Entries whose names would
 * land outside it (absolute, `..`) and symbolic links are skipped: what comes from a machine never
 * writes elsewhere on this one. A hard link to a file this stream wrote (tar sends a file's second
 * name so) becomes a copy of it.
 */
export function untarInto(root: string): Extract {
  const tar = tarLibrary().extract();
  const written = new Set<string>();
  tar.on('entry', (header, stream, next) => {
    const target = insideOf(root, header.name);
    const write = async () => {
      if (target && header.type === 'link') {
        const source = insideOf(root, header.linkname ?? '');
        stream.resume();
        if (source && written.has(source)) {
          await mkdir(dirname(target), { recursive: true });
          await copyFile(source, target);
          written.add(target);
        }
        return;
      }
      if (!target || (header.type !== 'file' && header.type !== 'directory')) return void stream.resume();
      if (header.type === 'directory') {
        await mkdir(target, { recursive: true });
        return void stream.resume();
      }
      await mkdir(dirname(target), { recursive: true });
      await pipeline(stream, createWriteStream(target, { mode: (header.mode ?? 0o644) & 0o777 }));
      written.add(target);
    };
    write().then(
      () => next(),
      (error: Error) => next(error),
    );
  });
  return tar;
}
