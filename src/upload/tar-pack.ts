import { createReadStream, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Pack } from 'tar-stream';
import { tarLibrary } from '../lazy-library.js';
import { type Snapshot, wholeFileBytes } from './snapshot.js';

/** What a tar stream is made of: a snapshot's entries, or any tree's, without their hashes. */
export type TarEntry =
  | { readonly type: 'directory'; readonly path: string; readonly mode: number }
  | { readonly type: 'file'; readonly path: string; readonly mode: number; readonly size: number; readonly absolute: string }
  | { readonly type: 'symlink'; readonly path: string; readonly target: string };

/**
 * A tree (a snapshot, a job's assets) as one tar stream (POSIX ustar, with long names in PAX headers): folders, files with
 * their modes, links as links. Small files are read whole and at once (the stream's back-pressure
 * gives the event loop its turns); large ones streamed: memory stays flat whatever the tree's size.
 */
export function tarOf(snapshot: { readonly entries: readonly TarEntry[] }): Pack {
  const tar = tarLibrary().pack();
  (async () => {
    for (const entry of snapshot.entries) {
      if (entry.type === 'directory') tar.entry({ name: `${entry.path}/`, type: 'directory', mode: entry.mode | 0o700 });
      else if (entry.type === 'symlink') tar.entry({ name: entry.path, type: 'symlink', linkname: entry.target });
      else if (entry.size <= wholeFileBytes) {
        const data = readFileSync(entry.absolute);
        // A file that changed size since it was hashed would make a wrong archive: it fails instead.
        if (data.length !== entry.size) throw new Error(`${entry.path} changed while it was being sent`);
        await new Promise<void>((resolve, reject) =>
          tar.entry({ name: entry.path, type: 'file', mode: entry.mode, size: entry.size }, data, (error) => (error ? reject(error) : resolve())),
        );
      } else await pipeline(createReadStream(entry.absolute), tar.entry({ name: entry.path, type: 'file', mode: entry.mode, size: entry.size }));
    }
    tar.finalize();
  })().catch((error: Error) => tar.destroy(error));
  return tar;
}

/** Chunks joined up to at least `size` bytes: a channel sends one packet per write, so few large writes beat many small ones. */
export async function* coalesced(source: AsyncIterable<unknown>, size = 256 * 1024): AsyncGenerator<Buffer> {
  let held: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of source) {
    held.push(chunk as Buffer);
    bytes += (chunk as Buffer).length;
    if (bytes < size) continue;
    yield Buffer.concat(held, bytes);
    [held, bytes] = [[], 0];
  }
  if (bytes > 0) yield Buffer.concat(held, bytes);
}

/** The size of `snapshot`'s tar stream, or a little less where long names need extra headers: a total to show progress against. */
export function tarSizeOf(snapshot: Snapshot): number {
  const block = 512;
  let size = 2 * block;
  for (const entry of snapshot.entries) size += block + (entry.type === 'file' ? Math.ceil(entry.size / block) * block : 0);
  return size;
}
