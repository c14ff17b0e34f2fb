import type { JobSpec } from '../batch/spec.js';
import type { JobStatus } from '../batch/types.js';
import type { JournalRecord } from './records.js';
import { initialJobState, type JobState } from './job-state.js';
import { reduceJob, settleJob } from './reduce.js';

/** Jobs per status, and the total. */
export type StatusCounts = Record<JobStatus, number> & { total: number };

/**
 * Every job's state in batch order, folded from journal records with {@link reduceJob}: the live
 * run applies each record as it writes it, a reader of the disk applies the journal; both get the
 * same state. Counts per status are kept as jobs change, so no reader scans a huge batch for them.
 */
export class BatchState {
  readonly #specs = new Map<string, JobSpec>();
  readonly #jobs = new Map<string, JobState>();
  readonly #counts: StatusCounts;
  /** When the current (or last) run started: the time of its `run` record. */
  runStartedAt: number | undefined;

  constructor(specs: readonly JobSpec[]) {
    for (const spec of specs) {
      this.#specs.set(spec.name, spec);
      this.#jobs.set(spec.name, initialJobState(spec));
    }
    this.#counts = { total: specs.length, init: specs.length, running: 0, succeed: 0, failed: 0, killed: 0 };
  }

  /** Folds one record in. Records of jobs the batch no longer has are history: they change nothing. */
  apply(record: JournalRecord): void {
    if (record.e === 'run') {
      this.runStartedAt = record.at;
      for (const name of this.#jobs.keys()) this.#set(reduceJob(this.#jobs.get(name)!, record, this.#specs.get(name)!));
      return;
    }
    const spec = this.#specs.get(record.job);
    if (spec) this.#set(reduceJob(this.#jobs.get(record.job)!, record, spec));
  }

  /** Folds records in, in order. */
  applyAll(records: Iterable<JournalRecord>): this {
    for (const record of records) this.apply(record);
    return this;
  }

  /** What is left once no runner runs the batch (see {@link settleJob}). */
  settle(at: number): this {
    for (const job of this.#jobs.values()) this.#set(settleJob(job, at));
    return this;
  }

  get(name: string): JobState | undefined {
    return this.#jobs.get(name);
  }

  spec(name: string): JobSpec | undefined {
    return this.#specs.get(name);
  }

  /** Every job, in batch order. */
  all(): JobState[] {
    return [...this.#jobs.values()];
  }

  counts(): StatusCounts {
    return { ...this.#counts };
  }

  #set(job: JobState): void {
    const before = this.#jobs.get(job.name)!;
    if (before === job) return;
    this.#counts[before.status]--;
    this.#counts[job.status]++;
    this.#jobs.set(job.name, job);
  }
}
