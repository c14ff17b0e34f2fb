import { resolve as resolvePath } from 'node:path';
import { onAbort } from '../abortable-wait.js';
import { processStartTicks } from '../store/process-identity.js';
import { type Incoming, JsonLinesChannel } from './json-lines-channel.js';
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

/** What the starter says (see the protocol at the top of process_starter.py). */
type Answer =
  | readonly ['ready']
  | readonly ['pong']
  | readonly ['started', number, number, number | null]
  | readonly ['failed', number, string]
  | readonly ['late', number]
  | readonly ['ended', number, number | null, number | null];

/** Its answers are a few numbers and a message at most. */
const maxAnswerBytes = 64 * 1024;

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
  readonly #channel: JsonLinesChannel;
  readonly #pid: number;
  readonly #waiting = new Map<number, Waiting>();
  readonly #answerMs: number;
  readonly #onStall: ((message: string) => void) | undefined;
  #nextId = 0;
  #gone: string | undefined;
  #pingSentAt: number | undefined;
  #pinging: NodeJS.Timeout | undefined;
  #watching: NodeJS.Timeout | undefined;

  private constructor(channel: JsonLinesChannel, options: StarterOptions) {
    this.#channel = channel;
    this.#pid = channel.pid!;
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
    const channel = new JsonLinesChannel(options.interpreter ?? 'python3', ['-I', '-S', '-X', 'utf8', '-c', starterProgram], {
      stderr: 'ignore',
      maxLineBytes: maxAnswerBytes,
    });
    let timer: NodeJS.Timeout | undefined;
    const ready = await Promise.race([
      channel.next().then((incoming) => answerOf(incoming)?.[0] === 'ready'),
      channel.exited.then(() => false),
      new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), answerMs))),
      ...(options.signal ? [onAbort(options.signal).then(() => false)] : []),
    ]);
    clearTimeout(timer);
    if (ready !== true) {
      if (channel.pid !== undefined) signalGroup(channel.pid, 'SIGKILL');
      channel.destroyOutput();
      if (ready === 'late') options.onStall?.(`the process starter did not answer in ${answerMs / 1000} s: jobs start with Node's spawn`);
      return undefined;
    }
    const starter = new ProcessStarter(channel, options);
    channel.listen((incoming) => starter.#answer(incoming));
    void channel.closed.then(() => starter.#lose('the process starter ended'));
    const env = Object.fromEntries(Object.entries(baseEnv).filter((entry): entry is [string, string] => entry[1] !== undefined));
    channel.send(env);
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
      this.#channel.send(message);
    });
  }

  /** Ends the helper (jobs still running are left to run) and resolves once it is gone. */
  async close(): Promise<void> {
    this.#gone ??= 'the process starter was closed';
    // Its end is awaited: until then it holds the event loop again.
    this.#channel.hold(true);
    this.#channel.endInput();
    // It ends at once when its input does; one that does not (stopped) is ended.
    const kill = setTimeout(() => signalGroup(this.#pid, 'SIGKILL'), closeMs);
    await this.#channel.closed;
    clearTimeout(kill);
  }

  #answer(incoming: Incoming): void {
    const answer = answerOf(incoming);
    if (answer === undefined || answer[0] === 'ready') return;
    if (answer[0] === 'pong') {
      this.#pingSentAt = undefined;
      return;
    }
    const id = answer[1];
    const waiting = this.#waiting.get(id);
    if (waiting === undefined) {
      // A start this side gave up on: that copy must not run beside the one placed again.
      if (answer[0] === 'started') signalGroup(answer[2], 'SIGKILL');
      return;
    }
    if (answer[0] === 'started') {
      const { started } = waiting;
      waiting.started = waiting.failed = undefined;
      waiting.pid = answer[2];
      const end = new Promise<ProcessEnd>((resolve) => {
        waiting.ended = resolve;
      });
      started?.({ pid: waiting.pid, startTicks: answer[3], end });
      return;
    }
    this.#forget(id);
    if (answer[0] === 'failed') waiting.failed?.(new Error(answer[2]));
    else if (answer[0] === 'late') waiting.failed?.(new NotStartedError('the process starter was too slow to start it'));
    else waiting.ended?.({ code: answer[2], signal: answer[3] === null ? null : signalName(answer[3]) });
  }

  /** Every second while busy: a ping, and a stall when the last one went unanswered for `answerMs`. */
  #ping(): void {
    if (this.#gone !== undefined) return;
    if (this.#pingSentAt === undefined) {
      this.#pingSentAt = Date.now();
      this.#channel.send({ ping: 1 });
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
    this.#channel.hold(false);
  }

  #busy(): void {
    this.#channel.hold(true);
  }
}

/** An answer of the starter's; undefined for anything else (its output ended, a line that is not one). */
function answerOf(incoming: Incoming): Answer | undefined {
  if (typeof incoming !== 'object') return undefined;
  try {
    const answer = JSON.parse(incoming.line) as unknown;
    return Array.isArray(answer) && typeof answer[0] === 'string' ? (answer as unknown as Answer) : undefined;
  } catch {
    return undefined;
  }
}
