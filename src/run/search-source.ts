import type { JobSpec } from '../batch/spec.js';
import { isHyperctlError } from '../errors.js';
import type { TrialRecord } from '../state/records.js';
import type { Next, JobSource } from './schedule.js';
import type { SearchDriver } from './search-driver.js';
import type { SearchStop } from './search-stop.js';

/** What a search's source needs of its run. */
export interface SearchRun {
  /** Jobs the machines run at once now. */
  slots(): number;
  /** When the run started: a search's `max_duration` counts from it. */
  readonly startedAt: number;
  readonly drained: AbortSignal;
  /** Journals a trial before its jobs start; false when it could not be (the run is ending). */
  record(trial: TrialRecord): boolean;
  warn(message: string): void;
  /** Resolves when a job's exit was recorded, or the slots changed. */
  changed(): Promise<void>;
}

/**
 * A search as a source of jobs: the unfinished jobs of earlier trials first, then a new trial
 * whenever fewer of its jobs are unfinished than there are slots, so each proposal knows every
 * result it can (with one slot, all before it: a resumed search proposes exactly what an
 * uninterrupted one would). Each trial is journalled before its jobs start. {@link stop} says why
 * it proposed no more.
 */
export class SearchSource implements JobSource {
  readonly #search: SearchDriver;
  readonly #run: SearchRun;
  readonly #ready: JobSpec[];
  #stop: SearchStop | undefined;

  constructor(search: SearchDriver, leftovers: readonly JobSpec[], run: SearchRun) {
    this.#search = search;
    this.#ready = [...leftovers];
    this.#run = run;
  }

  /** Why the search proposed no more trials, once it did. */
  get stop(): SearchStop | undefined {
    return this.#stop;
  }

  async next(): Promise<Next> {
    const ready = this.#ready.shift();
    if (ready) return ready;
    const search = this.#search;
    this.sayNotes();
    if (search.unfinishedJobs() >= this.#run.slots()) return 'wait';
    const reason = search.stopReason(this.#run.startedAt);
    // The budget is spent but trials still run: it may yet be raised while they do.
    if (reason?.kind === 'max-trials' && search.unfinishedJobs() > 0) return 'wait';
    let trial: TrialRecord | SearchStop;
    try {
      trial = reason ?? (await search.next());
    } catch (error) {
      // A sampler that fails ends the proposing; the trials under way finish.
      if (!isHyperctlError(error) || error.code !== 'E_SAMPLER') throw error;
      this.#run.warn(error.message);
      trial = { kind: 'sampler-failed', message: error.message };
    }
    if ('kind' in trial) {
      this.#stop = trial;
      return 'done';
    }
    if (this.#run.drained.aborted || !this.#run.record(trial)) return 'done';
    this.#ready.push(...search.jobsOf(trial));
    return this.#ready.shift() ?? 'wait';
  }

  changed(): Promise<void> {
    return this.#run.changed();
  }

  /** Says the search's warnings of trials that ended without its metric. */
  sayNotes(): void {
    for (const message of this.#search.takeNotes()) this.#run.warn(message);
  }

  /** Once its last trials ended: what they reached counts too, so a target met by the very last one is why it ended. */
  async finish(): Promise<void> {
    this.sayNotes();
    await this.#search.close();
    if (this.#stop === undefined || this.#stop.kind === 'max-trials') {
      const reason = this.#search.stopReason(this.#run.startedAt);
      if (reason?.kind === 'target') this.#stop = reason;
    }
  }
}
