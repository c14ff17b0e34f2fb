import { type ChildProcess, spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';

/** What a channel reads from its child: a line, a line over the limit (dropped), or the end of its output. */
export type Incoming = { readonly line: string } | 'too long' | 'ended';

/** How a {@link JsonLinesChannel}'s child is started. */
export interface ChannelOptions {
  readonly cwd?: string;
  /** Where its stderr goes: nowhere, or a stream for the caller to read. */
  readonly stderr: 'ignore' | 'pipe';
  /** The longest line kept; longer ones are dropped as they come and read as `too long`. */
  readonly maxLineBytes: number;
}

/**
 * A long-lived child process spoken to in JSON lines: one message a line on its stdin, one answer a
 * line on its stdout. The child leads a process group of its own (a terminal's Ctrl-C is for the
 * runner, and ending the group ends what it left behind). Answers are read either one at a time
 * ({@link next}) or as they come ({@link listen}); a line is held only up to its limit, so an
 * answer without end costs no memory. A child that stops reading does not stop its caller: writes
 * to it are then dropped.
 */
export class JsonLinesChannel {
  readonly #child: ChildProcess;
  readonly #ready: Incoming[] = [];
  readonly #decoder = new StringDecoder('utf8');
  #partial = '';
  #partialBytes = 0;
  #overlong = false;
  #ended = false;
  #wake: (() => void) | undefined;
  #listener: ((incoming: Incoming) => void) | undefined;
  readonly #maxLineBytes: number;
  /** How the child ended (or could not start), once it has. */
  readonly exited: Promise<string>;
  /** Resolves once the child has ended and its output is read to the end. */
  readonly closed: Promise<void>;

  constructor(file: string, args: readonly string[], options: ChannelOptions) {
    this.#maxLineBytes = options.maxLineBytes;
    const child = spawn(file, args, { cwd: options.cwd, detached: true, stdio: ['pipe', 'pipe', options.stderr] });
    this.#child = child;
    this.exited = new Promise<string>((resolve) => {
      child.once('error', (error) => resolve(`it could not start (${error.message})`));
      child.once('exit', (code, signal) => resolve(signal ? `it was ended by ${signal}` : `it exited with code ${code}`));
    });
    this.closed = new Promise<void>((resolve) => {
      child.once('close', () => resolve());
      child.once('error', () => resolve());
    });
    child.stdin!.on('error', () => undefined);
    child.stdout!.on('data', (chunk: Buffer) => this.#take(chunk));
    child.stdout!.on('end', () => this.#push('ended'));
    child.stdout!.on('error', () => undefined);
  }

  /** The child's process id (also its process group's), undefined when it could not start. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** The child's stderr, when it was asked for with `stderr: 'pipe'`. */
  get stderr(): NodeJS.ReadableStream | null {
    return this.#child.stderr;
  }

  /** Writes one message as a JSON line; dropped once the child's input is closed. */
  send(message: unknown): void {
    const input = this.#child.stdin!;
    if (!input.destroyed && !input.writableEnded) input.write(`${JSON.stringify(message)}\n`);
  }

  /** The next thing read, waiting for it; `ended` for ever once the child's output has ended. */
  async next(): Promise<Incoming> {
    while (this.#ready.length === 0 && !this.#ended) await new Promise<void>((resolve) => (this.#wake = resolve));
    return this.#ready.shift() ?? 'ended';
  }

  /** From now on, hands each thing read to `listener` as it comes (what was read before first). */
  listen(listener: (incoming: Incoming) => void): void {
    this.#listener = listener;
    for (let incoming = this.#ready.shift(); incoming !== undefined; incoming = this.#ready.shift()) listener(incoming);
  }

  /** Closes the child's input: the polite way to ask it to end. */
  endInput(): void {
    this.#child.stdin!.end();
  }

  /**
   * Whether the child and its pipes keep the event loop alive: while its answers are awaited they
   * must, and an idle child must not keep a finished program running.
   */
  hold(busy: boolean): void {
    const handles = [this.#child, this.#child.stdout, this.#child.stdin] as unknown as { ref(): void; unref(): void }[];
    for (const handle of handles) {
      if (busy) handle.ref();
      else handle.unref();
    }
  }

  /** Drops what is still unread of its output (a child that left a process holding it). */
  destroyOutput(): void {
    this.#child.stdout!.destroy();
    this.#child.stderr?.destroy();
  }

  #push(incoming: Incoming): void {
    if (incoming === 'ended') this.#ended = true;
    if (this.#listener) this.#listener(incoming);
    else {
      this.#ready.push(incoming);
      this.#wake?.();
    }
  }

  #take(chunk: Buffer): void {
    let start = 0;
    for (let newline = chunk.indexOf(10); newline >= 0; newline = chunk.indexOf(10, start)) {
      this.#append(chunk.subarray(start, newline));
      // An overlong line was told of as it crossed the limit.
      if (!this.#overlong) this.#push({ line: this.#partial + this.#decoder.end() });
      this.#partial = '';
      this.#partialBytes = 0;
      this.#overlong = false;
      start = newline + 1;
    }
    this.#append(chunk.subarray(start));
  }

  #append(bytes: Buffer): void {
    if (this.#overlong || bytes.length === 0) return;
    this.#partialBytes += bytes.length;
    if (this.#partialBytes > this.#maxLineBytes) {
      this.#overlong = true;
      this.#partial = '';
      this.#decoder.end();
      this.#push('too long');
      return;
    }
    this.#partial += this.#decoder.write(bytes);
  }
}
