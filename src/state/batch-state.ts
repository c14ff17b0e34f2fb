import { trialJobSpec } from '../batch/job-spec.js';
import type { BatchSpec, JobSpec } from '../batch/spec.js';
import type { JobStatus } from '../batch/types.js';
import type { JournalRecord, TrialRecord } from './records.js';
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

  /** A search's trials, in the order they were proposed. */
  readonly #trials: TrialRecord[] = [];
  readonly #trialJobs: ((record: TrialRecord) => JobSpec[]) | undefined;

  /** The jobs of a batch: those it lists and, for a search, those its trial records bring. */
  constructor(batch: Pick<BatchSpec, 'name' | 'dataDir' | 'jobs' | 'search'>) {
    const search = batch.search;
    this.#trialJobs = search ? (record) => record.jobs.map((job) => trialJobSpec(search.template, batch, job.name, job.params)) : undefined;
    this.#counts = { total: 0, init: 0, running: 0, succeed: 0, failed: 0, killed: 0, pruned: 0 };
    for (const spec of batch.jobs) this.#add(spec);
  }

  /** Folds one record in. Records of jobs the batch no longer has are history: they change nothing. */
  apply(record: JournalRecord): void {
    // Early stopping's reports change no job's state: the pruner reads them.
    if (record.e === 'report') return;
    if (record.e === 'trial') {
      this.#trials.push(record);
      for (const spec of this.#trialJobs?.(record) ?? []) if (!this.#specs.has(spec.name)) this.#add(spec);
      return;
    }
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

  /** A search's trials so far, in the order they were proposed. */
  trials(): readonly TrialRecord[] {
    return this.#trials;
  }

  #add(spec: JobSpec): void {
    this.#specs.set(spec.name, spec);
    this.#jobs.set(spec.name, initialJobState(spec));
    this.#counts.total++;
    this.#counts.init++;
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
