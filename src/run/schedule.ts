import PQueue from 'p-queue';
import type { JobSpec } from '../batch/spec.js';
import { deferred, untilAborted } from '../abortable-wait.js';
import type { JobFeed } from './job-feed.js';

/** What a source says when asked for a job: one to run now, none yet (ask again once it changes), or none ever. */
export type Next = JobSpec | 'wait' | 'done';

/** Where a schedule's jobs come from: the batch's own, jobs added or retried, a search's proposals. */
export interface JobSource {
  /** The next job to run, given the jobs the queue holds and runs now. */
  next(queue: { readonly size: number; readonly pending: number }): Next | Promise<Next>;
  /** Resolves when asking again may give a job. */
  changed(): Promise<unknown>;
}

/** Jobs waiting for a place at once, at most: a bound on memory and on the pool's work per change. */
export const maxInFlight = 256;

/**
 * The run's one scheduler loop: takes jobs from `source` a little ahead of the slots (so a huge
 * batch never sits in the queue at once) and runs each to its end; stops taking when `drained`
 * aborts, and returns when what it started has ended.
 */
export class Schedule {
  readonly #queue: PQueue;
  readonly #slots: () => number;
  /**
   * Settled when a job it runs ends, then made anew: what a wait for a change waits on besides the
   * source. (Waiting on the queue's idle event instead left a listener at every wait until the
   * queue emptied, which a search's queue does not until its end: a quadratic run.)
   */
  #jobEnded = deferred();
  /**
   * Jobs taken and not yet ended, counted here: the queue counts a job out of `pending` only some
   * moments after its task settled, so a source asked in between would see it running still and
   * wait for an end that has already come (the last job's: a run that never ends).
   */
  #inFlight = 0;

  /** `slots`: jobs the machines run at once now (steered while it runs). */
  constructor(slots: () => number) {
    this.#slots = slots;
    this.#queue = new PQueue({ concurrency: this.#window() });
  }

  /** More jobs in flight than slots: while one finishes its bookkeeping, the next already waits at the pool for its slot. */
  #window(): number {
    const slots = this.#slots();
    return Number.isFinite(slots) ? Math.min(slots * 2 + 2, maxInFlight) : maxInFlight;
  }

  /** The slots changed: the queue's width follows. */
  resize(): void {
    this.#queue.concurrency = this.#window();
  }

  /** Runs `source`'s jobs with `run` until it is done or `drained` aborts; `onFed` is called once no more is taken. */
  async run(source: JobSource, run: (job: JobSpec) => Promise<void>, drained: AbortSignal, onFed?: () => void): Promise<void> {
    const queue = this.#queue;
    this.resize();
    for (;;) {
      const window = this.#window();
      if (queue.size >= window) await untilAborted(queue.onSizeLessThan(window), drained);
      if (drained.aborted) break;
      // Taken before the source is asked: a job that ends while it answers wakes the wait below.
      const jobEnded = this.#jobEnded.promise;
      const next = await source.next({ size: queue.size, pending: this.#inFlight - queue.size });
      if (next === 'done') break;
      if (next !== 'wait') {
        this.#inFlight++;
        void queue.add(async () => {
          try {
            await run(next);
          } finally {
            this.#inFlight--;
            const ended = this.#jobEnded;
            this.#jobEnded = deferred();
            ended.resolve();
          }
        });
        continue;
      }
      await untilAborted(Promise.race([source.changed(), jobEnded]), drained);
    }
    onFed?.();
    await queue.onIdle();
  }
}

/** A batch's jobs as a source: those waiting in `feed`, in order of priority; done when none waits and none runs. */
export function feedSource(feed: JobFeed): JobSource {
  return {
    next: (queue) => feed.take() ?? (queue.size === 0 && queue.pending === 0 ? 'done' : 'wait'),
    changed: () => feed.whenPushed(),
  };
}
