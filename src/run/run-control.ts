import { setMaxListeners } from 'node:events';

/**
 * Why a run starts no more jobs, each cause with what it needs. The first of each kind is kept:
 * what a run ends with, and what its result says, is read from them, never from a message.
 */
export type StopCause =
  /** A client stopped the batch (`batch stop`): the run ends, its serving too; `kill` kills the running jobs. */
  | { readonly kind: 'asked'; readonly kill: boolean }
  /** `halt.fail` was reached; `now`: the running jobs are killed. */
  | { readonly kind: 'halt'; readonly failures: number; readonly now: boolean }
  /** The first jobs did not report early stopping's metric: the batch cannot do what it was asked. */
  | { readonly kind: 'unreported'; readonly reason: string }
  /** Every machine that could run the jobs left is gone. */
  | { readonly kind: 'no-machine' }
  /** The caller's signal aborted (Ctrl-C, SIGTERM). */
  | { readonly kind: 'interrupted'; readonly reason: unknown }
  /** The batch's state could not be written (a full disk): nothing more can be recorded. */
  | { readonly kind: 'state-unwritable'; readonly error: unknown }
  /** An event listener of the caller threw. */
  | { readonly kind: 'listener-failed'; readonly error: unknown };

/** Where a run is: setting up, starting jobs, letting the running ones end, or done. */
export type RunPhase = 'starting' | 'scheduling' | 'draining' | 'ended';

type CauseOf<K extends StopCause['kind']> = Extract<StopCause, { readonly kind: K }>;

/**
 * A run's phase and what stops it. Three signals follow from the causes: `drain` (start no more
 * jobs) from every cause, `kill` (end the running ones too) from an interruption, a fault or a
 * stop asked with kill, and `release` (end the serving after the last job) from a stop asked.
 */
export class RunControl {
  readonly #kill = new AbortController();
  readonly #drain = new AbortController();
  readonly #release = new AbortController();
  readonly #causes: StopCause[] = [];
  #phase: RunPhase = 'starting';

  constructor() {
    // Every running job listens to these: many slots are many listeners, not a leak.
    setMaxListeners(0, this.#kill.signal, this.#drain.signal);
    this.#kill.signal.addEventListener('abort', () => this.#drain.abort(), { once: true });
  }

  /** Aborted to end the run: no job starts, running ones are killed. */
  get kill(): AbortSignal {
    return this.#kill.signal;
  }

  /** Aborted to start no more jobs while the running ones finish. */
  get drain(): AbortSignal {
    return this.#drain.signal;
  }

  /** Aborted when a client stopped the batch: its serving after the last job ends too. */
  get release(): AbortSignal {
    return this.#release.signal;
  }

  get phase(): RunPhase {
    return this.#phase === 'scheduling' && this.#drain.signal.aborted ? 'draining' : this.#phase;
  }

  /** Moves to `phase`: `scheduling` once jobs may start (again, for a round while served), `ended` when the run is over. */
  enter(phase: 'scheduling' | 'ended'): void {
    this.#phase = phase;
  }

  /** Takes in a cause and acts on it; the first of each kind is the one kept. */
  stop(cause: StopCause): void {
    this.#causes.push(cause);
    if (cause.kind === 'asked') this.#release.abort();
    const kills =
      cause.kind === 'interrupted' || cause.kind === 'state-unwritable' || cause.kind === 'listener-failed' || (cause.kind === 'asked' && cause.kill);
    if (kills) this.#kill.abort(cause.kind === 'interrupted' ? cause.reason : cause.kind === 'asked' ? undefined : cause.error);
    this.#drain.abort();
  }

  /** Every cause so far, in the order they came. */
  get causes(): readonly StopCause[] {
    return this.#causes;
  }

  /** The first cause of `kind`, if any. */
  first<K extends StopCause['kind']>(kind: K): CauseOf<K> | undefined {
    return this.#causes.find((cause): cause is CauseOf<K> => cause.kind === kind);
  }

  /** The fault the run ends with: its state could not be written, or a listener threw. */
  get fault(): CauseOf<'state-unwritable'> | CauseOf<'listener-failed'> | undefined {
    return this.first('listener-failed') ?? this.first('state-unwritable');
  }

  /** Ended by an abort and not by a fault of its own: the caller's signal, or a stop asked with kill. */
  get interrupted(): boolean {
    return this.#kill.signal.aborted && this.fault === undefined;
  }
}
