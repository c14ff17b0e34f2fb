import { join } from 'node:path';
import type { BatchSpec, JobSpec } from '../batch/spec.js';
import type { JobStatus } from '../batch/types.js';
import { MetricsTracker, type JobMetrics } from '../metrics/metrics-tracker.js';
import type { JobResult } from '../run/events.js';
import type { RunView } from '../run/run-view.js';
import type { StoredBatch } from '../store/read-batch.js';

/**
 * A batch that no runner runs, read from disk, seen as a run that has ended: what
 * `hyperctl batch serve` gives the daemon so the dashboard and the API work after the fact.
 */
export class StoredRunView implements RunView {
  readonly spec: BatchSpec;
  readonly startedAt: number;
  readonly endedAt: number | undefined;
  readonly active = false;
  readonly #jobs: Map<string, JobResult>;
  readonly #specs: Map<string, JobSpec>;
  readonly #onStop: () => void;

  constructor(batch: StoredBatch, onStop: () => void) {
    this.spec = batch.spec;
    this.startedAt = batch.lastRun?.startedAt ?? Date.now();
    this.endedAt = batch.lastRun?.endedAt ?? this.startedAt;
    this.#onStop = onStop;
    this.#specs = new Map(batch.spec.jobs.map((job) => [job.name, job]));
    this.#jobs = new Map(
      batch.jobs.map((job) => {
        const result: JobResult = {
          name: job.name,
          status: job.status,
          exitCode: job.exitCode,
          signal: job.signal,
          skipped: false,
          params: job.params,
          dataDir: job.dataDir,
          stdoutPath: join(job.dataDir, 'stdout'),
          stderrPath: join(job.dataDir, 'stderr'),
          ...(job.host ? { host: job.host } : {}),
          ...(job.reason ? { reason: job.reason } : {}),
          ...(job.startedAt !== undefined ? { startedAt: job.startedAt } : {}),
          ...(job.endedAt !== undefined ? { endedAt: job.endedAt } : {}),
          ...(job.startedAt !== undefined && job.endedAt !== undefined ? { durationMs: job.endedAt - job.startedAt } : {}),
          ...(job.metrics ? { metrics: job.metrics } : {}),
        };
        return [job.name, result];
      }),
    );
  }

  jobs(): JobResult[] {
    return [...this.#jobs.values()];
  }

  job(name: string): JobResult | undefined {
    return this.#jobs.get(name);
  }

  jobSpec(name: string): JobSpec | undefined {
    return this.#specs.get(name);
  }

  async metrics(name: string): Promise<JobMetrics | undefined> {
    const job = this.#jobs.get(name);
    return job ? new MetricsTracker(job.dataDir).read() : undefined;
  }

  async postMetrics(): Promise<void> {
    // No job runs: the API refuses metrics before they get here.
  }

  counts(): Record<JobStatus, number> & { total: number } {
    const counts = { total: this.#jobs.size, init: 0, running: 0, succeed: 0, failed: 0, killed: 0 };
    for (const job of this.#jobs.values()) counts[job.status]++;
    return counts;
  }

  killJob(name: string): 'killed' | 'not-running' | 'unknown' {
    return this.#jobs.has(name) ? 'not-running' : 'unknown';
  }

  /** Ends the serving. */
  stop(): void {
    this.#onStop();
  }

  subscribe(): () => void {
    return () => undefined;
  }
}
