import type { BatchSpec, JobSpec } from '../batch/spec.js';
import type { JobMetrics } from '../metrics/metrics-tracker.js';
import { MetricsTracker } from '../metrics/metrics-tracker.js';
import type { RunSteering, RunView } from '../run/run-view.js';
import { HyperctlError } from '../errors.js';
import type { StatusCounts } from '../state/batch-state.js';
import { type JobResult, toJobResult } from '../state/job-result.js';
import type { JobState } from '../state/job-state.js';
import type { FoldedBatch } from '../store/read-batch.js';
import { jobsPerTrial, type SearchProgress, searchProgress } from '../state/search-progress.js';

/**
 * A batch that no runner runs, read from disk, seen as a run that has ended: what
 * `hyperctl batch serve` gives the daemon so the dashboard and the API work after the fact.
 */
export class StoredRunView implements RunView {
  readonly spec: BatchSpec;
  readonly startedAt: number;
  readonly endedAt: number | undefined;
  readonly active = false;
  readonly readOnly = true;
  readonly #batch: FoldedBatch;
  readonly #jobs: ReadonlyMap<string, JobResult>;
  readonly #onStop: () => void;

  constructor(batch: FoldedBatch, onStop: () => void) {
    this.spec = batch.spec;
    this.startedAt = batch.lastRun?.startedAt ?? Date.now();
    this.endedAt = batch.lastRun?.endedAt ?? this.startedAt;
    this.#batch = batch;
    this.#jobs = new Map(batch.jobs.map((job) => [job.name, job]));
    this.#onStop = onStop;
  }

  states(): Iterable<JobState> {
    return this.#batch.state.each();
  }

  result(job: JobState): JobResult {
    return this.#jobs.get(job.name) ?? toJobResult(job, this.#batch.state.runStartedAt);
  }

  job(name: string): JobResult | undefined {
    return this.#jobs.get(name);
  }

  jobSpec(name: string): JobSpec | undefined {
    return this.#batch.state.spec(name);
  }

  async metrics(name: string): Promise<JobMetrics | undefined> {
    const job = this.#jobs.get(name);
    return job && new MetricsTracker(job.dataDir).read();
  }

  async postMetrics(): Promise<void> {
    // No job runs: the API refuses metrics before they get here.
  }

  counts(): StatusCounts {
    return this.#batch.state.counts();
  }

  searchProgress(): SearchProgress | undefined {
    return this.spec.search && searchProgress(this.spec.search, this.#batch.state, jobsPerTrial(this.spec.search));
  }

  killJob(name: string): 'killed' | 'not-running' | 'unknown' {
    return this.#jobs.has(name) ? 'not-running' : 'unknown';
  }

  steer(): RunSteering {
    throw new HyperctlError('E_NOT_RUNNING', `batch ${this.spec.name} is not running (its files are served): it cannot be steered`);
  }

  /** Ends the serving. */
  stop(): void {
    this.#onStop();
  }

  subscribe(): () => void {
    return () => undefined;
  }
}
