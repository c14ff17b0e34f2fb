import { closeSync, openSync, readSync, statSync } from 'node:fs';

/**
 * Reads a job's log file from `offset` (up to 1 MiB) and returns the bytes and the next offset.
 * A missing file is empty; a file that shrank (the job ran again) is read from its start.
 */
export function readLogChunk(file: string, offset: number): { data: Buffer; offset: number } {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return { data: Buffer.alloc(0), offset };
  }
  if (size < offset) offset = 0;
  if (size === offset) return { data: Buffer.alloc(0), offset };
  const buffer = Buffer.alloc(Math.min(size - offset, 1 << 20));
  const fd = openSync(file, 'r');
  try {
    const n = readSync(fd, buffer, 0, buffer.length, offset);
    return { data: buffer.subarray(0, n), offset: offset + n };
  } finally {
    closeSync(fd);
  }
}
