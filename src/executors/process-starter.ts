import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { createInterface } from 'node:readline';
import { starterProgram } from './starter-program.js';

/** One job for the starter: `/bin/sh -c command` in `cwd`, its output into two files. */
export interface StartRequest {
  readonly command: string;
  readonly cwd: string;
  /** Variables added to the starter's base environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly stdoutPath: string;
  readonly stderrPath: string;
}

/** How a started job ended: as its process said, or unknown because the starter itself ended first. */
export type ProcessEnd = { readonly code: number | null; readonly signal: NodeJS.Signals | null } | { readonly lost: string };

/** A job the starter started: the leader of a session of its own. */
export interface StartedProcess {
  readonly pid: number;
  /** Its start time from `/proc` (clock ticks since boot), null where unknown. */
  readonly startTicks: number | null;
  readonly end: Promise<ProcessEnd>;
}

interface Waiting {
  started?: (process: StartedProcess) => void;
  failed?: (error: Error) => void;
  ended?: (end: ProcessEnd) => void;
}

const signalNames = new Map(Object.entries(constants.signals).map(([name, number]) => [number, name as NodeJS.Signals]));

/**
 * Starts a local run's jobs through one long-lived, small helper process (see
 * {@link starterProgram}) instead of forking the runner for each. Holds the event loop only while
 * a job it started runs.
 */
export class ProcessStarter {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, Waiting>();
  #nextId = 0;
  #gone: string | undefined;
  readonly #exited: Promise<void>;

  private constructor(child: ChildProcess, exited: Promise<void>) {
    this.#child = child;
    this.#exited = exited;
  }

  /**
   * Starts the helper with `baseEnv` as the environment its jobs start from; undefined when it
   * cannot run here (no `interpreter`, or one older than 3.8).
   */
  static async open(baseEnv: NodeJS.ProcessEnv, interpreter = 'python3'): Promise<ProcessStarter | undefined> {
    // Isolated (-I: no PYTHON* variables, no user site), no site module (-S: starts in ~15 ms), UTF-8 for every text.
    const child = spawn(interpreter, ['-I', '-S', '-X', 'utf8', '-c', starterProgram], {
      // A session of its own: Ctrl-C on the terminal is for the runner, which stops its jobs first.
      detached: true,
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const lines = createInterface({ input: child.stdout!, crlfDelay: Number.POSITIVE_INFINITY });
    child.stdin!.on('error', () => {});
    const ready = await new Promise<boolean>((resolve) => {
      child.once('error', () => resolve(false));
      child.once('exit', () => resolve(false));
      lines.once('line', (line) => resolve(line === 'ready'));
    });
    if (!ready) {
      child.kill('SIGKILL');
      lines.close();
      return undefined;
    }
    const starter = new ProcessStarter(child, exited);
    lines.on('line', (line) => starter.#answer(line));
    child.once('close', () => starter.#lose('the process starter ended'));
    const env = Object.fromEntries(Object.entries(baseEnv).filter((entry): entry is [string, string] => entry[1] !== undefined));
    child.stdin!.write(`${JSON.stringify(env)}\n`);
    starter.#idle();
    return starter;
  }

  /** True once it has ended or been closed: it starts no more jobs. */
  get gone(): boolean {
    return this.#gone !== undefined;
  }

  /** Starts one job; rejects when it could not start (a missing working directory, a file it cannot write). */
  start(request: StartRequest): Promise<StartedProcess> {
    if (this.#gone !== undefined) return Promise.reject(new Error(this.#gone));
    const id = this.#nextId++;
    if (this.#waiting.size === 0) this.#busy();
    const { command, env } = request;
    const message = { id, command, env, cwd: resolvePath(request.cwd), stdout: resolvePath(request.stdoutPath), stderr: resolvePath(request.stderrPath) };
    return new Promise<StartedProcess>((started, failed) => {
      this.#waiting.set(id, { started, failed });
      this.#child.stdin!.write(`${JSON.stringify(message)}\n`);
    });
  }

  /** Ends the helper (jobs still running are left to run) and resolves once it is gone. */
  async close(): Promise<void> {
    this.#gone ??= 'the process starter was closed';
    // Its end is awaited: until then it holds the event loop again.
    this.#busy();
    this.#child.stdin!.end();
    await this.#exited;
  }

  #answer(line: string): void {
    const [kind, idText, first, second] = line.split(' ');
    const id = Number(idText);
    const waiting = this.#waiting.get(id);
    if (waiting === undefined) return;
    if (kind === 's') {
      const { started } = waiting;
      waiting.started = waiting.failed = undefined;
      const end = new Promise<ProcessEnd>((resolve) => {
        waiting.ended = resolve;
      });
      const ticks = Number(second);
      started?.({ pid: Number(first), startTicks: Number.isFinite(ticks) ? ticks : null, end });
      return;
    }
    this.#forget(id);
    if (kind === 'f') waiting.failed?.(new Error(JSON.parse(line.slice(line.indexOf(' ', 2) + 1)) as string));
    else if (kind === 'e')
      waiting.ended?.({ code: first === '-' ? null : Number(first), signal: second === '-' ? null : (signalNames.get(Number(second)) ?? null) });
  }

  #lose(reason: string): void {
    this.#gone ??= reason;
    for (const waiting of this.#waiting.values()) {
      waiting.failed?.(new Error(reason));
      waiting.ended?.({ lost: reason });
    }
    this.#waiting.clear();
  }

  #forget(id: number): void {
    this.#waiting.delete(id);
    if (this.#waiting.size === 0) this.#idle();
  }

  // Idle, the helper must not keep a finished program alive; busy, its answers must.
  #idle(): void {
    this.#child.unref();
    (this.#child.stdout as unknown as { unref(): void }).unref();
    (this.#child.stdin as unknown as { unref(): void }).unref();
  }

  #busy(): void {
    this.#child.ref();
    (this.#child.stdout as unknown as { ref(): void }).ref();
    (this.#child.stdin as unknown as { ref(): void }).ref();
  }
}
