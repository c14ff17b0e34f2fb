import { metricsMarker } from './marker.js';

/**
 * The longest metrics line read, in bytes; a longer one is ignored. Lines are scanned as bytes and
 * only those that start with the marker are kept, so a job that prints gigabytes, with or without
 * newlines, costs the runner no more memory than this.
 */
export const maxMetricsLineBytes = 64 * 1024;

const marker = Buffer.from(metricsMarker);
const newline = 0x0a;

/**
 * Finds the metrics lines in a stream of output chunks: calls `onReport` with the text after the
 * marker of each whole line that starts with it.
 */
export class MarkerLineScanner {
  readonly #onReport: (json: string) => void;
  /** The start of the current line, while it may still be a metrics line. */
  #carry: Buffer | undefined;
  /** In a line that is not a metrics line (or too long for one): skipped to its end. */
  #skipping = false;

  constructor(onReport: (json: string) => void) {
    this.#onReport = onReport;
  }

  push(chunk: Buffer): void {
    let pos = 0;
    if (this.#skipping || this.#carry) {
      const nl = chunk.indexOf(newline);
      const carried = this.#carry;
      this.#carry = undefined;
      if (carried) {
        const line = Buffer.concat([carried, chunk.subarray(0, Math.min(nl < 0 ? chunk.length : nl, maxMetricsLineBytes + 1))]);
        if (nl < 0) {
          if (startsLikeMarker(line)) this.#holdOrSkip(line);
          else this.#skipping = true;
          return;
        }
        this.#report(line);
      }
      if (nl < 0) return;
      this.#skipping = false;
      pos = nl + 1;
    }
    // From a line start on: search for the marker itself (fast on any output), and count it only at the start of a line.
    for (;;) {
      let at = chunk.indexOf(marker, pos);
      while (at > pos && chunk[at - 1] !== newline) at = chunk.indexOf(marker, at + 1);
      if (at < 0) break;
      const nl = chunk.indexOf(newline, at);
      if (nl < 0) {
        this.#holdOrSkip(chunk.subarray(at, Math.min(chunk.length, at + maxMetricsLineBytes + 1)));
        return;
      }
      this.#report(chunk.subarray(at, nl));
      pos = nl + 1;
    }
    // The chunk's last line goes on in the next one: it may still become a metrics line only while it is a part of the marker.
    const tail = chunk.subarray(Math.max(pos, chunk.lastIndexOf(newline) + 1));
    if (tail.length === 0) return;
    if (tail.length < marker.length && startsLikeMarker(tail)) this.#carry = Buffer.from(tail);
    else this.#skipping = true;
  }

  /** A metrics line whose end is still to come: kept while it fits the cap, else skipped to its end. */
  #holdOrSkip(start: Buffer): void {
    if (start.length <= maxMetricsLineBytes) this.#carry = Buffer.from(start);
    else this.#skipping = true;
  }

  #report(line: Buffer): void {
    if (line.length <= maxMetricsLineBytes && line.length >= marker.length && startsLikeMarker(line))
      this.#onReport(line.subarray(marker.length).toString('utf8'));
  }

  /** Forgets a line in progress (the output starts over). */
  reset(): void {
    this.#carry = undefined;
    this.#skipping = false;
  }
}

/** True when `line` starts with the marker, or with as much of it as it holds. */
function startsLikeMarker(line: Buffer): boolean {
  const n = Math.min(line.length, marker.length);
  return line.compare(marker, 0, n, 0, n) === 0;
}
