import { trialDataDir, trialJobSpec } from '../batch/job-spec.js';
import type { BatchSpec, JobSpec } from '../batch/spec.js';
import type { JobStatus } from '../batch/types.js';
import type { JournalRecord, TrialRecord } from './records.js';
import { initialJobState, type JobState } from './job-state.js';
import { reduceJob, restartJob, settleJob } from './reduce.js';
import { jobFromStored } from '../batch/stored-job.js';
import { type Steering, steer, unsteered } from './steering.js';

/** Jobs per status, and the total. */
export type StatusCounts = Record<JobStatus, number> & { total: number };

/**
 * Every job's state in batch order, folded from journal records with {@link reduceJob}: the live
 * run applies each record as it writes it, a reader of the disk applies the journal; both get the
 * same state. Counts per status are kept as jobs change, so no reader scans a huge batch for them.
 * A job nothing happened to has no state stored (it is made from its spec when asked for): a huge
 * batch does not hold, and then throw away, one object per job that has not run yet. A search's
 * job is held as its trial names it (name and params): its spec is made again from the search's
 * template when asked for, and kept only while the job may run, so a search of a million trials
 * does not hold a million specs.
 */
export class BatchState {
  /** Every job in batch order: its spec, or a search's job as its trial record names it. */
  readonly #specs = new Map<string, JobSpec | TrialJob>();
  /** The specs made of trial jobs that have not ended (their runs and records read them). */
  readonly #trialSpecs = new Map<string, JobSpec>();
  /** The jobs whose state is not their initial one. */
  readonly #jobs = new Map<string, JobState>();
  readonly #counts: StatusCounts;
  /** When the current (or last) run started: the time of its `run` record. */
  runStartedAt: number | undefined;

  /** A search's trials, in the order they were proposed. */
  readonly #trials: TrialRecord[] = [];
  readonly #trialSpec: ((job: TrialJob) => JobSpec) | undefined;
  readonly #dataDir: string;
  /** What steer records said, folded: parallelism, pause, priorities, a search's budget. */
  readonly steering: Steering = unsteered();

  /** The jobs of a batch: those it lists and, for a search, those its trial records bring. */
  constructor(batch: Pick<BatchSpec, 'name' | 'dataDir' | 'jobs' | 'search'>) {
    const search = batch.search;
    this.#dataDir = batch.dataDir;
    this.#trialSpec = search ? (job) => trialJobSpec(search.template, batch, job.name, job.params) : undefined;
    this.#counts = { total: 0, init: 0, running: 0, succeed: 0, failed: 0, killed: 0, pruned: 0 };
    for (const spec of batch.jobs) this.#add(spec);
  }

  /** Folds one record in. Records of jobs the batch no longer has are history: they change nothing. */
  apply(record: JournalRecord): void {
    // Early stopping's reports change no job's state: the pruner reads them.
    if (record.e === 'report') return;
    if (record.e === 'trial') {
      this.#trials.push(record);
      if (this.#trialSpec) for (const job of record.jobs) if (!this.#specs.has(job.name)) this.#add(job);
      return;
    }
    if (record.e === 'steer') {
      steer(this.steering, record);
      return;
    }
    if (record.e === 'add') {
      // Added to a live batch: jobs of the batch from then on, whatever its config lists.
      for (const job of record.jobs) if (!this.#specs.has(job.name)) this.#add(jobFromStored(this.#dataDir, { ...job }));
      return;
    }
    if (record.e === 'run') {
      this.runStartedAt = record.at;
      // A run record sends jobs back to their initial state, which those without a state are in.
      // (#set may delete the entry being visited: a Map's iteration allows that.)
      for (const job of this.#jobs.values()) this.#set(job, restartJob(job, record));
      return;
    }
    const spec = this.spec(record.job);
    if (spec) {
      const before = this.#jobs.get(record.job) ?? initialJobState(spec);
      this.#set(before, reduceJob(before, record, spec));
    }
  }

  /** Folds records in, in order. */
  applyAll(records: Iterable<JournalRecord>): this {
    for (const record of records) this.apply(record);
    return this;
  }

  /** What is left once no runner runs the batch (see {@link settleJob}). */
  settle(at: number): this {
    for (const job of this.#jobs.values()) this.#set(job, settleJob(job, at));
    return this;
  }

  /** A search's trials so far, in the order they were proposed. */
  trials(): readonly TrialRecord[] {
    return this.#trials;
  }

  #add(spec: JobSpec | TrialJob): void {
    this.#specs.set(spec.name, spec);
    this.#counts.total++;
    this.#counts.init++;
  }

  get(name: string): JobState | undefined {
    const job = this.#jobs.get(name);
    if (job) return job;
    const entry = this.#specs.get(name);
    return entry && this.#initial(entry);
  }

  /** A job's spec: a search's job's is made from its template (and kept while the job may still run). */
  spec(name: string): JobSpec | undefined {
    const entry = this.#specs.get(name);
    if (entry === undefined || isSpec(entry)) return entry;
    const made = this.#trialSpecs.get(name);
    if (made) return made;
    const spec = this.#trialSpec!(entry);
    if (!isEnded(this.#jobs.get(name))) this.#trialSpecs.set(name, spec);
    return spec;
  }

  /** A job nothing happened to (or sent back to run): its state is its spec's name, params and folder. */
  #initial(entry: JobSpec | TrialJob): JobState {
    return initialJobState(isSpec(entry) ? entry : { name: entry.name, params: entry.params, dataDir: trialDataDir(this.#dataDir, entry.name) });
  }

  /** Every job, in batch order. */
  all(): JobState[] {
    return [...this.each()];
  }

  /** Every job, in batch order, one at a time: a reader of part of a huge batch makes only what it reads. */
  *each(): Generator<JobState> {
    for (const entry of this.#specs.values()) yield this.#jobs.get(entry.name) ?? this.#initial(entry);
  }

  counts(): StatusCounts {
    return { ...this.#counts };
  }

  #set(before: JobState, job: JobState): void {
    if (before === job) return;
    this.#counts[before.status]--;
    this.#counts[job.status]++;
    if (job.status === 'init' && !job.queued) this.#jobs.delete(job.name);
    else this.#jobs.set(job.name, job);
    if (isEnded(job)) this.#trialSpecs.delete(job.name);
  }
}

/** A search's job as its trial record names it. */
type TrialJob = TrialRecord['jobs'][number];

function isSpec(entry: JobSpec | TrialJob): entry is JobSpec {
  return 'hash' in entry;
}

function isEnded(job: JobState | undefined): boolean {
  return job !== undefined && job.status !== 'init' && job.status !== 'running';
}
