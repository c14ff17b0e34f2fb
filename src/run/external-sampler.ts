import { closeSync, openSync, writeSync } from 'node:fs';
import { HyperctlError } from '../errors.js';
import { JsonLinesChannel } from '../executors/json-lines-channel.js';
import { terminateGroup } from '../executors/process-group.js';

/** The longest line a sampler may answer with: params, not a dump. */
const maxLineBytes = 1 << 20;

/** What of a sampler's stderr is kept in its log; the rest is counted, not written. */
const maxStderrBytes = 10 * 1024 * 1024;

/**
 * A sampler of the user's own, run as a long-lived process that speaks JSON lines: hyperctl writes
 * `{"ask": …}` and reads one line back (`{"params": {…}}` or `{"stop": "why"}`), and writes
 * `{"tell": …}` for each trial that ended, expecting no answer. Its stderr goes to a file, up to
 * 10 MiB. It is started on the first message and ended (stdin closed, then its whole process
 * group, whatever it left behind) on close.
 */
export class ExternalSampler {
  readonly #command: string;
  readonly #cwd: string;
  readonly #stderrPath: string;
  readonly #timeoutMs: number;
  #channel: JsonLinesChannel | undefined;

  constructor(command: string, options: { cwd: string; stderrPath: string; timeoutMs: number }) {
    this.#command = command;
    this.#cwd = options.cwd;
    this.#stderrPath = options.stderrPath;
    this.#timeoutMs = options.timeoutMs;
  }

  #start(): JsonLinesChannel {
    if (this.#channel) return this.#channel;
    this.#channel = new JsonLinesChannel('/bin/sh', ['-c', this.#command], { cwd: this.#cwd, stderr: 'pipe', maxLineBytes });
    logInto(this.#channel.stderr!, this.#stderrPath);
    return this.#channel;
  }

  /** Tells the sampler a trial's outcome. */
  tell(message: unknown): void {
    this.#start().send({ tell: message });
  }

  /** Asks for the next params; rejects with `E_SAMPLER` when the sampler fails to answer sensibly in time. */
  async ask(message: unknown): Promise<unknown> {
    const channel = this.#start();
    channel.send({ ask: message });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.#failure(`no answer within ${this.#timeoutMs / 1000} s`)), this.#timeoutMs);
    });
    try {
      const incoming = await Promise.race([channel.next(), timeout]);
      if (incoming === 'ended') {
        // Its output closes a moment before its exit is known: wait that moment for the why.
        const why = await Promise.race([channel.exited, new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 1000).unref())]);
        throw this.#failure(`it closed its output (${why})`);
      }
      if (incoming === 'too long') throw this.#failure('its answer is longer than 1 MiB');
      try {
        return JSON.parse(incoming.line) as unknown;
      } catch {
        throw this.#failure(`its answer is not JSON: ${JSON.stringify(incoming.line.slice(0, 200))}`);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  #failure(what: string): HyperctlError {
    return new HyperctlError('E_SAMPLER', `the search's sampler command (${this.#command}) failed: ${what}; its stderr is in ${this.#stderrPath}`);
  }

  /**
   * Ends the sampler: its input closed and a moment to exit, then its process group ended — also
   * what it left running after it exited (a child holding its output would keep the run alive).
   */
  async close(): Promise<void> {
    const channel = this.#channel;
    if (!channel || channel.pid === undefined) return;
    channel.endInput();
    await Promise.race([channel.exited, new Promise<void>((resolve) => setTimeout(resolve, 2000).unref())]);
    await terminateGroup(channel.pid, 1000);
    channel.destroyOutput();
  }
}

/** Writes what `stream` says into `path` (appending), up to {@link maxStderrBytes}, then a line saying how much more there was. */
function logInto(stream: NodeJS.ReadableStream, path: string): void {
  const fd = openSync(path, 'a');
  let written = 0;
  let dropped = 0;
  // A log that cannot be written (a full disk) loses the sampler's words, not the run.
  const write = (data: Buffer | string) => {
    try {
      return typeof data === 'string' ? writeSync(fd, data) : writeSync(fd, data);
    } catch {
      return 0;
    }
  };
  stream.on('data', (chunk: Buffer) => {
    const room = Math.max(0, maxStderrBytes - written);
    if (room > 0) written += write(chunk.subarray(0, room));
    dropped += Math.max(0, chunk.length - room);
  });
  stream.once('close', () => {
    if (dropped > 0) write(`\nhyperctl: the sampler wrote ${dropped} bytes more to stderr than the ${maxStderrBytes} kept here\n`);
    closeSync(fd);
  });
}
