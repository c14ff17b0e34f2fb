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
    while (pos < chunk.length) {
      const nl = chunk.indexOf(newline, pos);
      const end = nl < 0 ? chunk.length : nl;
      if (this.#skipping) {
        if (nl < 0) return;
        this.#skipping = false;
        pos = nl + 1;
        continue;
      }
      const piece = chunk.subarray(pos, Math.min(end, pos + maxMetricsLineBytes + 1));
      const line = this.#carry ? Buffer.concat([this.#carry, piece]) : piece;
      this.#carry = undefined;
      const candidate = startsLikeMarker(line) && line.length <= maxMetricsLineBytes;
      if (nl < 0) {
        // The line goes on in the next chunk: keep its start only while it may be a metrics line.
        if (candidate) this.#carry = Buffer.from(line);
        else this.#skipping = true;
        return;
      }
      if (candidate && line.length >= marker.length) this.#onReport(line.subarray(marker.length).toString('utf8'));
      pos = nl + 1;
    }
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
