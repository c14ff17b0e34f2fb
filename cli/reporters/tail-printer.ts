import type { Style } from '../style.js';

/** Characters of an unfinished output line held before it is printed as it is. */
const maxTailLine = 64 * 1024;
/** Bytes waiting to be written past which output is skipped instead of held. */
const maxTailBacklog = 4 * 1024 * 1024;

/**
 * Prints jobs' output line by line, each line prefixed with its job's name (`--tail`): lines of
 * one chunk in one write; a line without end in pieces; nothing held while the reader is behind
 * (the job's files keep all of it, and it says how much it skipped).
 */
export class TailPrinter {
  readonly #out: NodeJS.WritableStream & { writableLength?: number };
  readonly #style: Style;
  readonly #say: (text: string) => void;
  readonly #partial = new Map<string, string>();
  #unshown = 0;

  constructor(out: NodeJS.WritableStream, style: Style, say: (text: string) => void) {
    this.#out = out;
    this.#style = style;
    this.#say = say;
  }

  output(job: string, stream: 'stdout' | 'stderr', chunk: Buffer): void {
    const key = `${job}\u0000${stream}`;
    if ((this.#out.writableLength ?? 0) > maxTailBacklog) {
      this.#unshown += chunk.length;
      this.#partial.delete(key);
      return;
    }
    if (this.#unshown > 0) {
      this.#say(this.#style.dim(`[…] ${this.#unshown} bytes of output not shown here, the reader was behind; "hyperctl job logs" has them`));
      this.#unshown = 0;
    }
    const lines = ((this.#partial.get(key) ?? '') + chunk.toString('utf8')).split('\n');
    let rest = lines.pop()!;
    if (rest.length > maxTailLine) {
      lines.push(rest);
      rest = '';
    }
    this.#partial.set(key, rest);
    const prefix = this.#prefix(job);
    if (lines.length > 0) this.#say(`${prefix}${lines.join(`\n${prefix}`)}`);
  }

  /** Prints what is left of a job's last lines once it ended. */
  flush(job: string): void {
    for (const stream of ['stdout', 'stderr']) {
      const key = `${job}\u0000${stream}`;
      const rest = this.#partial.get(key);
      if (rest) this.#say(`${this.#prefix(job)}${rest}`);
      this.#partial.delete(key);
    }
  }

  #prefix(job: string): string {
    return `${this.#style.dim(`[${job}]`)} `;
  }
}
