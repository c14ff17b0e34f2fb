import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { HyperctlError } from '../errors.js';
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
  #child: ChildProcess | undefined;
  #lines: AnswerLines | undefined;
  #exited: string | undefined;
  #exit: Promise<void> = Promise.resolve();

  constructor(command: string, options: { cwd: string; stderrPath: string; timeoutMs: number }) {
    this.#command = command;
    this.#cwd = options.cwd;
    this.#stderrPath = options.stderrPath;
    this.#timeoutMs = options.timeoutMs;
  }

  #start(): ChildProcess {
    if (this.#child) return this.#child;
    const child = spawn('/bin/sh', ['-c', this.#command], { cwd: this.#cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.#child = child;
    this.#exit = new Promise<void>((resolve) => {
      child.on('error', (error) => {
        this.#exited = `it could not start (${error.message})`;
        resolve();
      });
      child.on('exit', (code, signal) => {
        this.#exited ??= signal ? `it was ended by ${signal}` : `it exited with code ${code}`;
        resolve();
      });
    });
    // A sampler that stops reading must not stop the run: writes to it then fail, and its next answer is missing.
    child.stdin!.on('error', () => undefined);
    this.#lines = new AnswerLines(child.stdout!);
    logInto(child.stderr!, this.#stderrPath);
    return child;
  }

  #send(message: unknown): void {
    const child = this.#start();
    if (!child.stdin!.destroyed) child.stdin!.write(`${JSON.stringify(message)}\n`);
  }

  /** Tells the sampler a trial's outcome. */
  tell(message: unknown): void {
    this.#send({ tell: message });
  }

  /** Asks for the next params; rejects with `E_SAMPLER` when the sampler fails to answer sensibly in time. */
  async ask(message: unknown): Promise<unknown> {
    this.#send({ ask: message });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.#failure(`no answer within ${this.#timeoutMs / 1000} s`)), this.#timeoutMs);
    });
    try {
      const line = await Promise.race([this.#lines!.next(), timeout]);
      if (line === 'ended') {
        // Its output closes a moment before its exit is known: wait that moment for the why.
        await Promise.race([this.#exit, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
        throw this.#failure(`it closed its output (${this.#exited ?? 'still running'})`);
      }
      if (line === 'too long') throw this.#failure('its answer is longer than 1 MiB');
      try {
        return JSON.parse(line) as unknown;
      } catch {
        throw this.#failure(`its answer is not JSON: ${JSON.stringify(line.slice(0, 200))}`);
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
    const child = this.#child;
    if (!child || child.pid === undefined) return;
    child.stdin!.end();
    const exited = new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
    await Promise.race([exited, new Promise<void>((resolve) => setTimeout(resolve, 2000).unref())]);
    await terminateGroup(child.pid, 1000);
    child.stdout!.destroy();
    child.stderr!.destroy();
  }
}

/**
 * The lines a sampler writes, one at a time as they are asked for. A line is held only up to
 * {@link maxLineBytes}: past that it is dropped as it comes (up to its newline) and read as `too
 * long`, so an answer without end costs no memory.
 */
class AnswerLines {
  readonly #decoder = new StringDecoder('utf8');
  readonly #ready: string[] = [];
  #partial = '';
  #partialBytes = 0;
  #overlong = false;
  #ended = false;
  #wake: (() => void) | undefined;

  constructor(stream: NodeJS.ReadableStream) {
    stream.on('data', (chunk: Buffer) => this.#take(chunk));
    stream.on('end', () => {
      this.#ended = true;
      this.#wake?.();
    });
    stream.on('error', () => undefined);
  }

  async next(): Promise<string | 'ended' | 'too long'> {
    while (this.#ready.length === 0 && !this.#ended) await new Promise<void>((resolve) => (this.#wake = resolve));
    return this.#ready.shift() ?? 'ended';
  }

  #take(chunk: Buffer): void {
    let start = 0;
    for (let newline = chunk.indexOf(10); newline >= 0; newline = chunk.indexOf(10, start)) {
      this.#append(chunk.subarray(start, newline));
      // An overlong line was told of as it crossed the limit.
      if (!this.#overlong) this.#ready.push(this.#partial + this.#decoder.end());
      this.#partial = '';
      this.#partialBytes = 0;
      this.#overlong = false;
      start = newline + 1;
    }
    this.#append(chunk.subarray(start));
    if (this.#ready.length > 0) this.#wake?.();
  }

  #append(bytes: Buffer): void {
    if (this.#overlong) return;
    this.#partialBytes += bytes.length;
    if (this.#partialBytes > maxLineBytes) {
      this.#overlong = true;
      this.#partial = '';
      this.#decoder.end();
      this.#ready.push('too long');
      return;
    }
    this.#partial += this.#decoder.write(bytes);
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
