import { type ChildProcess, spawn } from 'node:child_process';
import { resolve as resolvePath } from 'node:path';
import { createInterface } from 'node:readline';
import { onAbort } from '../abortable-wait.js';
import { processStartTicks } from '../store/process-identity.js';
import { findStartedJob } from './leftover-jobs.js';
import { signalGroup } from './process-group.js';
import { childrenOf, childState, type EndStatus, signalName } from './process-status.js';
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
export type ProcessEnd = EndStatus | { readonly lost: string };

/** A job the starter started: the leader of a session of its own. */
export interface StartedProcess {
  readonly pid: number;
  /** Its start time from `/proc` (clock ticks since boot), null where unknown. */
  readonly startTicks: number | null;
  readonly end: Promise<ProcessEnd>;
}

/** A job that was not started because the starter ended or stopped answering: it may be placed again. */
export class NotStartedError extends Error {}

/** Options of {@link ProcessStarter.open}. */
export interface StarterOptions {
  /** The Python to run it with. @defaultValue `python3` */
  readonly interpreter?: string;
  /** How long it may take to answer (to start, to a ping) before it counts as stalled. @defaultValue 5000 */
  readonly answerMs?: number;
  /** Told once when it did not answer in time: it is given up (jobs then start another way). */
  readonly onStall?: (message: string) => void;
  /** Gives up opening it (the executor is being closed). */
  readonly signal?: AbortSignal;
}

interface Waiting {
  started?: (process: StartedProcess) => void;
  failed?: (error: Error) => void;
  ended?: (end: ProcessEnd) => void;
  pid?: number;
  /** The job's own variables: what finds it when the starter died before telling of its start. */
  env: Readonly<Record<string, string>>;
}

/** How often a busy starter is asked whether it still answers, and how often a stalled one's jobs are looked at. */
const pingMs = 1000;
const watchMs = 200;
const closeMs = 1000;

/**
 * Starts a local run's jobs through one long-lived, small helper process (see
 * {@link starterProgram}) instead of forking the runner for each. Holds the event loop only while
 * a job it started runs. A helper that stops answering (stopped, starved) is given up: starts it
 * has not answered are refused by it once late and end here as not started; the ends of jobs it
 * started are read from `/proc` while they wait for it to reap them.
 */
export class ProcessStarter {
  readonly #child: ChildProcess;
  readonly #pid: number;
  readonly #waiting = new Map<number, Waiting>();
  readonly #exited: Promise<void>;
  readonly #answerMs: number;
  readonly #onStall: ((message: string) => void) | undefined;
  #nextId = 0;
  #gone: string | undefined;
  #pingSentAt: number | undefined;
  #pinging: NodeJS.Timeout | undefined;
  #watching: NodeJS.Timeout | undefined;

  private constructor(child: ChildProcess, exited: Promise<void>, options: StarterOptions) {
    this.#child = child;
    this.#pid = child.pid!;
    this.#exited = exited;
    this.#answerMs = options.answerMs ?? 5000;
    this.#onStall = options.onStall;
  }

  /**
   * Starts the helper with `baseEnv` as the environment its jobs start from; undefined when it
   * cannot run here (no interpreter, one older than 3.8, no `posix_spawn` with `setsid`) or did
   * not answer in time (then `onStall` is told).
   */
  static async open(baseEnv: NodeJS.ProcessEnv, options: StarterOptions = {}): Promise<ProcessStarter | undefined> {
    const answerMs = options.answerMs ?? 5000;
    // Isolated (-I: no PYTHON* variables, no user site), no site module (-S: starts in ~15 ms), UTF-8 for every text.
    const child = spawn(options.interpreter ?? 'python3', ['-I', '-S', '-X', 'utf8', '-c', starterProgram], {
      // A session of its own: Ctrl-C on the terminal is for the runner, which stops its jobs first.
      detached: true,
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const lines = createInterface({ input: child.stdout!, crlfDelay: Number.POSITIVE_INFINITY });
    child.stdin!.on('error', () => {});
    let timer: NodeJS.Timeout | undefined;
    const ready = await new Promise<boolean | 'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), answerMs);
      child.once('error', () => resolve(false));
      child.once('exit', () => resolve(false));
      lines.once('line', (line) => resolve(line === 'ready'));
      if (options.signal) void onAbort(options.signal).then(() => resolve(false));
    });
    clearTimeout(timer);
    if (ready !== true) {
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
      lines.close();
      if (ready === 'late') options.onStall?.(`the process starter did not answer in ${answerMs / 1000} s: jobs start with Node's spawn`);
      return undefined;
    }
    const starter = new ProcessStarter(child, exited, options);
    lines.on('line', (line) => starter.#answer(line));
    child.once('close', () => starter.#lose('the process starter ended'));
    const env = Object.fromEntries(Object.entries(baseEnv).filter((entry): entry is [string, string] => entry[1] !== undefined));
    child.stdin!.write(`${JSON.stringify(env)}\n`);
    starter.#idle();
    return starter;
  }

  /** True once it has ended, stalled or been closed: it starts no more jobs. */
  get gone(): boolean {
    return this.#gone !== undefined;
  }

  /**
   * Starts one job; rejects when it could not start (a missing working directory, a file it cannot
   * write), with a {@link NotStartedError} when the starter ended or stalled before starting it.
   */
  start(request: StartRequest): Promise<StartedProcess> {
    if (this.#gone !== undefined) return Promise.reject(new NotStartedError(this.#gone));
    const id = this.#nextId++;
    if (this.#waiting.size === 0) {
      this.#busy();
      this.#pinging ??= setInterval(() => this.#ping(), pingMs);
    }
    const { command, env } = request;
    // Past `late` it starts nothing: by then this side may have given the job up (see #stall).
    const late = Date.now() + this.#answerMs / 2;
    const message = { id, command, env, cwd: resolvePath(request.cwd), stdout: resolvePath(request.stdoutPath), stderr: resolvePath(request.stderrPath), late };
    return new Promise<StartedProcess>((started, failed) => {
      this.#waiting.set(id, { started, failed, env });
      this.#child.stdin!.write(`${JSON.stringify(message)}\n`);
    });
  }

  /** Ends the helper (jobs still running are left to run) and resolves once it is gone. */
  async close(): Promise<void> {
    this.#gone ??= 'the process starter was closed';
    // Its end is awaited: until then it holds the event loop again.
    this.#busy();
    this.#child.stdin!.end();
    // It ends at once when its input does; one that does not (stopped) is ended.
    const kill = setTimeout(() => signalGroup(this.#pid, 'SIGKILL'), closeMs);
    await this.#exited;
    clearTimeout(kill);
  }

  #answer(line: string): void {
    const [kind, idText, first, second] = line.split(' ');
    if (kind === 'p') {
      this.#pingSentAt = undefined;
      return;
    }
    const id = Number(idText);
    const waiting = this.#waiting.get(id);
    if (waiting === undefined) {
      // A start this side gave up on: that copy must not run beside the one placed again.
      if (kind === 's') signalGroup(Number(first), 'SIGKILL');
      return;
    }
    if (kind === 's') {
      const { started } = waiting;
      waiting.started = waiting.failed = undefined;
      waiting.pid = Number(first);
      const end = new Promise<ProcessEnd>((resolve) => {
        waiting.ended = resolve;
      });
      const ticks = Number(second);
      started?.({ pid: waiting.pid, startTicks: Number.isFinite(ticks) ? ticks : null, end });
      return;
    }
    this.#forget(id);
    if (kind === 'f') waiting.failed?.(new Error(JSON.parse(line.slice(line.indexOf(' ', 2) + 1)) as string));
    else if (kind === 'l') waiting.failed?.(new NotStartedError('the process starter was too slow to start it'));
    else if (kind === 'e') waiting.ended?.({ code: first === '-' ? null : Number(first), signal: second === '-' ? null : signalName(Number(second)) });
  }

  /** Every second while busy: a ping, and a stall when the last one went unanswered for `answerMs`. */
  #ping(): void {
    if (this.#gone !== undefined) return;
    if (this.#pingSentAt === undefined) {
      this.#pingSentAt = Date.now();
      this.#child.stdin!.write('{"ping":1}\n');
    } else if (Date.now() - this.#pingSentAt > this.#answerMs) this.#stall();
  }

  #stall(): void {
    this.#gone = `the process starter did not answer for ${this.#answerMs / 1000} s`;
    this.#onStall?.(`${this.#gone}: another one starts the next jobs`);
    const known = new Set([...this.#waiting.values()].map((waiting) => waiting.pid));
    // A job it started and did not tell of yet would run beside the copy placed again: ended now.
    for (const pid of childrenOf(this.#pid)) if (!known.has(pid)) signalGroup(pid, 'SIGKILL');
    for (const [id, waiting] of this.#waiting) {
      if (waiting.pid !== undefined) continue;
      this.#waiting.delete(id);
      waiting.failed?.(new NotStartedError(this.#gone));
    }
    this.#stopTimers();
    this.#watching = setInterval(() => this.#watchStalled(), watchMs);
    this.#watchStalled();
  }

  /** The jobs of a stalled starter: their ends read from `/proc`; once none is left, it is ended. */
  #watchStalled(): void {
    for (const [id, waiting] of this.#waiting) {
      const state = childState(waiting.pid!);
      if (state === 'running') continue;
      this.#waiting.delete(id);
      waiting.ended?.(state === 'gone' ? { lost: 'its exit status was lost: the process starter stopped answering' } : state);
    }
    if (this.#waiting.size > 0) return;
    signalGroup(this.#pid, 'SIGKILL');
    this.#idle();
  }

  #lose(reason: string): void {
    this.#gone ??= reason;
    this.#stopTimers();
    for (const waiting of this.#waiting.values()) {
      // A job may have started, and ended the starter, before the start was told: it runs, its end unknown.
      const pid = waiting.started ? findStartedJob(waiting.env) : undefined;
      if (pid !== undefined) waiting.started?.({ pid, startTicks: processStartTicks(pid), end: Promise.resolve({ lost: reason }) });
      else waiting.failed?.(new NotStartedError(reason));
      waiting.ended?.({ lost: reason });
    }
    this.#waiting.clear();
  }

  #forget(id: number): void {
    this.#waiting.delete(id);
    if (this.#waiting.size === 0) this.#idle();
  }

  #stopTimers(): void {
    clearInterval(this.#pinging);
    clearInterval(this.#watching);
    this.#pinging = this.#watching = undefined;
  }

  // Idle, the helper must not keep a finished program alive; busy, its answers must.
  #idle(): void {
    this.#stopTimers();
    this.#pingSentAt = undefined;
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
