import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobSpec } from '../batch/spec.js';
import type { JobStatus } from '../batch/types.js';
import type { Metrics, MetricsReport } from '../metrics/metrics-line.js';
import { metricsFiles, MetricsTracker, type JobMetrics } from '../metrics/metrics-tracker.js';
import type { JobResult } from './events.js';

/** How often a running job's new output is looked at, and how much of it makes a read worth it. */
const catchUpEveryMs = 250;
const catchUpBytes = 1 << 20;

/** A job that has not run in this run. */
export function baseResult(job: JobSpec): JobResult {
  return { name: job.name, status: 'init', exitCode: null, signal: null, skipped: false, params: job.params, dataDir: job.dataDir, stdoutPath: join(job.dataDir, 'stdout'), stderrPath: join(job.dataDir, 'stderr') };
}

/**
 * Every job's current state in a run, in batch order, with the counts per status kept as jobs
 * change (so a request to a huge batch's daemon never scans it), and the metrics of running jobs.
 */
export class JobStates {
  readonly #results = new Map<string, JobResult>();
  readonly #specs = new Map<string, JobSpec>();
  readonly #trackers = new Map<string, MetricsTracker>();
  readonly #catchUps = new Map<string, NodeJS.Timeout>();
  readonly #counts: Record<JobStatus, number> & { total: number };

  constructor(jobs: readonly JobSpec[]) {
    for (const job of jobs) {
      this.#results.set(job.name, baseResult(job));
      this.#specs.set(job.name, job);
    }
    this.#counts = { total: jobs.length, init: jobs.length, running: 0, succeed: 0, failed: 0, killed: 0 };
  }

  all(): JobResult[] {
    return [...this.#results.values()];
  }

  get(name: string): JobResult | undefined {
    return this.#results.get(name);
  }

  spec(name: string): JobSpec | undefined {
    return this.#specs.get(name);
  }

  counts(): Record<JobStatus, number> & { total: number } {
    return { ...this.#counts };
  }

  set(result: JobResult): void {
    this.#counts[this.#results.get(result.name)!.status]--;
    this.#counts[result.status]++;
    this.#results.set(result.name, result);
  }

  /** Starts following the metrics of a job that starts, reading its output as it grows. */
  follow(job: JobSpec): void {
    this.unfollow(job.name);
    const tracker = new MetricsTracker(job.dataDir);
    tracker.posted = false;
    this.#trackers.set(job.name, tracker);
    // A job that prints a lot is read while it runs: its exit is then recorded without a long read.
    this.#catchUps.set(job.name, setInterval(() => void tracker.catchUp(catchUpBytes).catch(() => undefined), catchUpEveryMs).unref());
  }

  /** The last metrics of a job that ended; stops following it. */
  async finalMetrics(name: string): Promise<Metrics | undefined> {
    const tracker = this.#trackers.get(name);
    this.unfollow(name);
    return (await tracker?.read().catch(() => undefined))?.last;
  }

  /** Stops following a job's metrics (it ended, or was left to its scheduler). */
  unfollow(name: string): void {
    clearInterval(this.#catchUps.get(name));
    this.#catchUps.delete(name);
    this.#trackers.delete(name);
  }

  /** A job's metrics: live while it runs, else read from its files. */
  async metrics(name: string): Promise<JobMetrics | undefined> {
    const spec = this.#specs.get(name);
    const tracker = this.#trackers.get(name) ?? (spec ? new MetricsTracker(spec.dataDir) : undefined);
    return tracker?.read();
  }

  /** Records metrics a running job sent over HTTP, next to its other files. */
  async postMetrics(name: string, report: MetricsReport): Promise<void> {
    const tracker = this.#trackers.get(name);
    if (tracker) tracker.posted = true;
    await appendFile(join(this.#specs.get(name)!.dataDir, metricsFiles.posted), `${JSON.stringify({ ...report.values, ...(report.step !== undefined ? { _step: report.step } : {}) })}\n`);
  }
}
