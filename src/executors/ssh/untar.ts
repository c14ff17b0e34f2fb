import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { extract, type Extract } from 'tar-stream';

/**
 * A writable tar stream that puts its files and folders below `root`. Entries whose names would
 * land outside it (absolute, `..`) and links are skipped: what comes from a machine never writes
 * elsewhere on this one.
 */
export function untarInto(root: string): Extract {
  const tar = extract();
  tar.on('entry', (header, stream, next) => {
    const target = join(root, header.name);
    const inside = !relative(root, target).startsWith(`..${sep}`) && relative(root, target) !== '..' && !header.name.startsWith('/');
    const write = async () => {
      if (!inside || (header.type !== 'file' && header.type !== 'directory')) return void stream.resume();
      if (header.type === 'directory') {
        await mkdir(target, { recursive: true });
        return void stream.resume();
      }
      await mkdir(dirname(target), { recursive: true });
      await pipeline(stream, createWriteStream(target, { mode: (header.mode ?? 0o644) & 0o777 }));
    };
    write().then(
      () => next(),
      (error: Error) => next(error),
    );
  });
  return tar;
}
