import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** How much of the end of a stderr file is read for its last lines. */
const tailBytes = 4096;

/**
 * The last `count` non-empty lines of a file, each cut to `width` characters, with control
 * characters shown as `?` (a job's text must not move the cursor or change colours); `[]` when
 * the file cannot be read.
 */
export function lastLines(path: string, count = 5, width = 200): string[] {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const length = Math.min(size, tailBytes);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const lines = buffer.toString('utf8').split(/\r?\n/);
    // The first line may start mid-line, or mid-character.
    if (size > length) lines.shift();
    return lines
      .filter((line) => line.trim() !== '')
      .slice(-count)
      .map((line) => {
        // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this hides
        const plain = line.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?').replace(/\t/g, '  ');
        return plain.length > width ? `${plain.slice(0, width - 1)}…` : plain;
      });
  } catch {
    return [];
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
