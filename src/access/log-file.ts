import { closeSync, openSync, readSync, statSync } from 'node:fs';

/**
 * Reads up to `length` bytes of a job's log file from `offset`: the bytes, where they start and
 * the file's size. A missing file is empty; a file that shrank below `offset` (the job ran again)
 * is read from its start.
 */
export function readLogChunk(file: string, offset: number, length: number): { data: Buffer; offset: number; size: number } {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return { data: Buffer.alloc(0), offset, size: 0 };
  }
  const start = size < offset ? 0 : offset;
  if (size === start || length === 0) return { data: Buffer.alloc(0), offset: start, size };
  const buffer = Buffer.alloc(Math.min(size - start, length));
  const fd = openSync(file, 'r');
  try {
    const n = readSync(fd, buffer, 0, buffer.length, start);
    return { data: buffer.subarray(0, n), offset: start, size };
  } finally {
    closeSync(fd);
  }
}
