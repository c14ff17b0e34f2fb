import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/**
 * The text of a regular file of at most `maxBytes`, read through one descriptor: opened without
 * blocking (a FIFO cannot hold the open), checked to be a regular file and small enough, then read
 * — never a device, a FIFO or a file that grows without end. Throws an error with a `code`
 * (`ENOTREG`, `EFBIG`, or the system's) that says why.
 */
export function readRegularFile(path: string, maxBytes: number): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTREG: not a regular file' });
    if (stat.size > maxBytes) throw Object.assign(new Error('too large'), { code: `EFBIG: ${stat.size} bytes, more than ${maxBytes}` });
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (let read = 1; read > 0 && length <= maxBytes; length += read) read = readSync(fd, buffer, length, buffer.length - length, null);
    if (length > maxBytes) throw Object.assign(new Error('too large'), { code: `EFBIG: more than ${maxBytes} bytes` });
    return buffer.subarray(0, length).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
