import type { Writable } from 'node:stream';

/** Bytes a client may fall behind before its metrics are coalesced: the latest report per job waits for it. */
const coalesceAfterBytes = 1 << 20;
/** Bytes a client may fall behind at all: past that its stream is ended, and it reads the state afresh. */
const endAfterBytes = 16 << 20;

/**
 * Server-sent events to one client, written with regard to how fast it reads: once it is behind,
 * metrics reports are kept as the latest per job and sent when it catches up (a dashboard shows the
 * last value; the full history is a request away), and a client far behind is let go rather than
 * buffered for without limit.
 */
export class EventStream {
  readonly #out: Writable;
  readonly #waiting = new Map<string, unknown>();

  constructor(out: Writable) {
    this.#out = out;
    out.on('drain', () => this.#flush());
  }

  /** Sends one event, unless the client is too far behind. */
  send(type: string, data: unknown): void {
    if (this.#out.writableEnded || this.#out.destroyed) return;
    if (this.#out.writableLength > endAfterBytes) {
      this.#out.end();
      return;
    }
    this.#out.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** A job's metrics report: sent now, or (the client behind) kept as that job's latest until it catches up. */
  sendMetrics(job: string, data: unknown): void {
    if (this.#out.writableLength > coalesceAfterBytes || this.#waiting.size > 0) {
      this.#waiting.delete(job);
      this.#waiting.set(job, data);
      return;
    }
    this.send('job:metrics', data);
  }

  /** A comment line, which keeps proxies from closing an idle stream. */
  keepAlive(): void {
    if (!this.#out.writableEnded && !this.#out.destroyed) this.#out.write(': keep-alive\n\n');
  }

  #flush(): void {
    for (const [job, data] of this.#waiting) {
      if (this.#out.writableLength > coalesceAfterBytes) return;
      this.#waiting.delete(job);
      this.send('job:metrics', data);
    }
  }
}
