import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { pack, type Pack } from 'tar-stream';
import { type Snapshot, wholeFileBytes } from './snapshot.js';

/** Small files read ahead of the one being packed: reading overlaps packing and sending. */
const readAhead = 16;

/**
 * A snapshot as one tar stream (POSIX ustar, with long names in PAX headers): folders, files with
 * their modes, links as links. Small files are read whole, a few ahead; large ones streamed: memory
 * stays flat whatever the tree's size.
 */
export function tarOf(snapshot: Snapshot): Pack {
  const tar = pack();
  const { entries } = snapshot;
  const reads = new Map<number, Promise<Buffer>>();
  const readSoon = (from: number) => {
    for (let i = from; i < Math.min(entries.length, from + readAhead); i++) {
      const entry = entries[i]!;
      if (entry.type === 'file' && entry.size <= wholeFileBytes && !reads.has(i)) reads.set(i, readFile(entry.absolute));
    }
  };
  (async () => {
    for (const [i, entry] of entries.entries()) {
      readSoon(i);
      if (entry.type === 'directory') tar.entry({ name: `${entry.path}/`, type: 'directory', mode: entry.mode | 0o700 });
      else if (entry.type === 'symlink') tar.entry({ name: entry.path, type: 'symlink', linkname: entry.target });
      else if (reads.has(i)) {
        const data = await reads.get(i)!;
        reads.delete(i);
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
