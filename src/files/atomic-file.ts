import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { stateWriteError } from './write-fault.js';

/**
 * Writes a file so that readers see the old one or the new one, never half of one: into a temp
 * file, forced to disk, then renamed over. On any failure the temp file is removed and the error
 * is `E_STATE_WRITE`, naming the file.
 */
export function writeAtomic(path: string, fill: (write: (text: string) => void) => void, mode?: number): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const fd = openSync(tmp, 'w', mode);
    try {
      fill((text) => writeWhole(fd, Buffer.from(text)));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw stateWriteError(path, error);
  }
}

/** Writes `data` as JSON, atomically (see {@link writeAtomic}). */
export function writeJsonAtomic(path: string, data: unknown, mode?: number): void {
  writeAtomic(path, (write) => write(`${JSON.stringify(data, null, 2)}\n`), mode);
}

/** `writeSync` until every byte is written: a short write is not an error, only a partial one. */
function writeWhole(fd: number, bytes: Buffer): void {
  for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written);
}
