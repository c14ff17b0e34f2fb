import type { BatchSpec, JobSpec } from '../batch/spec.js';
import type { JobStatus } from '../batch/types.js';
import type { JobMetrics } from '../metrics/metrics-tracker.js';
import type { JobResult } from '../run/events.js';
import { baseResult, JobStates } from '../run/job-states.js';
import type { RunView } from '../run/run-view.js';
import type { StoredBatch, StoredJob } from '../store/read-batch.js';

/** A job from disk as a run reports it. */
function storedResult(spec: JobSpec, job: StoredJob): JobResult {
  return {
    ...baseResult(spec),
    status: job.status,
    exitCode: job.exitCode,
    signal: job.signal,
    ...(job.host ? { host: job.host } : {}),
    ...(job.reason ? { reason: job.reason } : {}),
    ...(job.startedAt !== undefined ? { startedAt: job.startedAt } : {}),
    ...(job.endedAt !== undefined ? { endedAt: job.endedAt } : {}),
    ...(job.startedAt !== undefined && job.endedAt !== undefined ? { durationMs: job.endedAt - job.startedAt } : {}),
    ...(job.metrics ? { metrics: job.metrics } : {}),
  };
}

/**
 * A batch that no runner runs, read from disk, seen as a run that has ended: what
 * `hyperctl batch serve` gives the daemon so the dashboard and the API work after the fact.
 */
export class StoredRunView implements RunView {
  readonly spec: BatchSpec;
  readonly startedAt: number;
  readonly endedAt: number | undefined;
  readonly active = false;
  readonly #state: JobStates;
  readonly #onStop: () => void;

  constructor(batch: StoredBatch, onStop: () => void) {
    this.spec = batch.spec;
    this.startedAt = batch.lastRun?.startedAt ?? Date.now();
    this.endedAt = batch.lastRun?.endedAt ?? this.startedAt;
    this.#onStop = onStop;
    this.#state = new JobStates(batch.spec.jobs);
    batch.spec.jobs.forEach((spec, i) => this.#state.set(storedResult(spec, batch.jobs[i]!)));
  }

  jobs(): JobResult[] {
    return this.#state.all();
  }

  job(name: string): JobResult | undefined {
    return this.#state.get(name);
  }

  jobSpec(name: string): JobSpec | undefined {
    return this.#state.spec(name);
  }

  metrics(name: string): Promise<JobMetrics | undefined> {
    return this.#state.metrics(name);
  }

  async postMetrics(): Promise<void> {
    // No job runs: the API refuses metrics before they get here.
  }

  counts(): Record<JobStatus, number> & { total: number } {
    return this.#state.counts();
  }

  killJob(name: string): 'killed' | 'not-running' | 'unknown' {
    return this.#state.get(name) ? 'not-running' : 'unknown';
  }

  /** Ends the serving. */
  stop(): void {
    this.#onStop();
  }

  subscribe(): () => void {
    return () => undefined;
  }
}
