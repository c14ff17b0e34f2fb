import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { pack, type Pack } from 'tar-stream';
import type { Snapshot } from './snapshot.js';

/**
 * A snapshot as one tar stream (POSIX ustar, with long names in PAX headers): folders, files with
 * their modes, links as links. Files are read as the stream is consumed, one at a time, so memory
 * stays flat whatever the tree's size.
 */
export function tarOf(snapshot: Snapshot): Pack {
  const tar = pack();
  (async () => {
    for (const entry of snapshot.entries) {
      if (entry.type === 'directory') tar.entry({ name: `${entry.path}/`, type: 'directory', mode: entry.mode | 0o700 });
      else if (entry.type === 'symlink') tar.entry({ name: entry.path, type: 'symlink', linkname: entry.target });
      else {
        const sink = tar.entry({ name: entry.path, type: 'file', mode: entry.mode, size: entry.size });
        await pipeline(createReadStream(entry.absolute), sink);
      }
    }
    tar.finalize();
  })().catch((error: Error) => tar.destroy(error));
  return tar;
}
