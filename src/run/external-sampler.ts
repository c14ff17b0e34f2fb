import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { HyperctlError } from '../errors.js';
import { terminateGroup } from '../executors/process-group.js';

/** The longest line a sampler may answer with: params, not a dump. */
const maxLineBytes = 1 << 20;

/**
 * A sampler of the user's own, run as a long-lived process that speaks JSON lines: hyperctl writes
 * `{"ask": …}` and reads one line back (`{"params": {…}}` or `{"stop": "why"}`), and writes
 * `{"tell": …}` for each trial that ended, expecting no answer. Its stderr goes to a file. It is
 * started on the first message and ended (stdin closed, then its process group killed) on close.
 */
export class ExternalSampler {
  readonly #command: string;
  readonly #cwd: string;
  readonly #stderrPath: string;
  readonly #timeoutMs: number;
  #child: ChildProcess | undefined;
  #lines: AsyncIterator<string> | undefined;
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
    const stderr = openSync(this.#stderrPath, 'a');
    try {
      this.#child = spawn('/bin/sh', ['-c', this.#command], { cwd: this.#cwd, stdio: ['pipe', 'pipe', stderr], detached: true });
    } finally {
      closeSync(stderr);
    }
    const child = this.#child;
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
    this.#lines = createInterface({ input: child.stdout!, crlfDelay: Number.POSITIVE_INFINITY })[Symbol.asyncIterator]();
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
      const next = await Promise.race([this.#lines!.next(), timeout]);
      if (next.done) {
        // Its output closes a moment before its exit is known: wait that moment for the why.
        await Promise.race([this.#exit, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
        throw this.#failure(`it closed its output (${this.#exited ?? 'still running'})`);
      }
      if (Buffer.byteLength(next.value) > maxLineBytes) throw this.#failure('its answer is longer than 1 MiB');
      try {
        return JSON.parse(next.value) as unknown;
      } catch {
        throw this.#failure(`its answer is not JSON: ${JSON.stringify(next.value.slice(0, 200))}`);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  #failure(what: string): HyperctlError {
    return new HyperctlError('E_SAMPLER', `the search's sampler command (${this.#command}) failed: ${what}; its stderr is in ${this.#stderrPath}`);
  }

  /** Ends the sampler: its input closed, a moment to exit, then its process group killed. */
  async close(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.stdin!.end();
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const grace = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 2000).unref());
    if ((await Promise.race([exited, grace])) === 'late' && child.pid !== undefined) await terminateGroup(child.pid, 1000);
  }
}
