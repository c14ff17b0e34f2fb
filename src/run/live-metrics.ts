import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobSpec } from '../batch/spec.js';
import type { Metrics, MetricsReport } from '../metrics/metrics-line.js';
import { metricsFiles, MetricsTracker, type JobMetrics } from '../metrics/metrics-tracker.js';

/** How often a running job's new output is looked at for metrics: early stopping judges each report as it is read. */
const catchUpEveryMs = 200;

/** A report a running job made, as it is read: from its output or posted to the daemon. */
export type ReportListener = (name: string, step: number, values: Metrics) => void;

/**
 * The metrics of a run's jobs: followed live while a job runs (its output read as it grows),
 * read from its files otherwise.
 */
export class LiveMetrics {
  /** A job's data folder, or undefined when the batch has no such job (a search's jobs come as it runs). */
  readonly #dataDirOf: (name: string) => string | undefined;
  readonly #trackers = new Map<string, MetricsTracker>();
  readonly #catchUps = new Map<string, NodeJS.Timeout>();

  readonly #onReport: ReportListener;
  /** Reports posted per job, which number the steps of those that carry none. */
  readonly #postedCount = new Map<string, number>();

  constructor(dataDirOf: (name: string) => string | undefined, onReport: ReportListener) {
    this.#dataDirOf = dataDirOf;
    this.#onReport = onReport;
  }

  /** Starts following the metrics of a job that starts, reading its output as it grows. */
  follow(job: JobSpec): void {
    this.unfollow(job.name);
    const tracker = new MetricsTracker(job.dataDir, (step, values) => this.#onReport(job.name, step, values));
    tracker.posted = false;
    this.#trackers.set(job.name, tracker);
    // New output is read as it comes (only what was written since the last look): reports reach
    // listeners while the job runs, and its exit is recorded without a long read.
    this.#catchUps.set(job.name, setInterval(() => void tracker.catchUp().catch(() => undefined), catchUpEveryMs).unref());
  }

  /** The last metrics of a job that ended; stops following it. */
  async final(name: string): Promise<Metrics | undefined> {
    const tracker = this.#trackers.get(name);
    this.unfollow(name);
    return (await tracker?.read().catch(() => undefined))?.last;
  }

  /** Stops following a job's metrics (it ended, or was left to its scheduler). */
  unfollow(name: string): void {
    clearInterval(this.#catchUps.get(name));
    this.#catchUps.delete(name);
    this.#trackers.delete(name);
    this.#postedCount.delete(name);
  }

  /** A job's metrics: live while it runs, else read from its files. */
  async of(name: string): Promise<JobMetrics | undefined> {
    const dataDir = this.#dataDirOf(name);
    const tracker = this.#trackers.get(name) ?? (dataDir ? new MetricsTracker(dataDir) : undefined);
    return tracker?.read();
  }

  /** Records metrics a running job sent over HTTP, next to its other files. */
  async post(name: string, report: MetricsReport): Promise<void> {
    const tracker = this.#trackers.get(name);
    if (tracker) tracker.posted = true;
    await appendFile(
      join(this.#dataDirOf(name)!, metricsFiles.posted),
      `${JSON.stringify({ ...report.values, ...(report.step !== undefined ? { _step: report.step } : {}) })}\n`,
    );
    const count = (this.#postedCount.get(name) ?? 0) + 1;
    this.#postedCount.set(name, count);
    this.#onReport(name, report.step ?? count, report.values);
  }
}
