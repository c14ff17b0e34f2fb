import { sep } from 'node:path';
import type { JobParams, JobStatus } from '../batch/types.js';
import type { Metrics } from '../metrics/metrics-line.js';
import type { JobState } from './job-state.js';
import type { Mutable } from './mutable.js';

/**
 * The outcome of one job in a run.
 * @public
 */
export interface JobResult {
  /** The job's name. */
  readonly name: string;
  /** Final status: `succeed`, `failed` or `killed`; `init` for a job an interrupted run never started. */
  readonly status: JobStatus;
  /** Exit code, or null when ended by a signal or never started. */
  readonly exitCode: number | null;
  /** The signal that ended it, if any. */
  readonly signal: string | null;
  /** True when an earlier run had already succeeded with the same spec, so this run did not start it. */
  readonly skipped: boolean;
  /** Where it ran (`local`, a host name). */
  readonly host?: string;
  /** Why it ended, when the exit code alone does not say. */
  readonly reason?: string;
  /** Start, in milliseconds since the epoch. */
  readonly startedAt?: number;
  /** End, in milliseconds since the epoch. */
  readonly endedAt?: number;
  /** Run time in milliseconds. */
  readonly durationMs?: number;
  /** The job's params. */
  readonly params: JobParams;
  /** The job's data folder. */
  readonly dataDir: string;
  /** The file holding its stdout. */
  readonly stdoutPath: string;
  /** The file holding its stderr. */
  readonly stderrPath: string;
  /** The last value of each metric it reported, once it ended (see `reportMetrics()`). */
  readonly metrics?: Metrics;
}

/**
 * A job's state as the results of a run show it. A job that succeeded before `runStartedAt` was
 * skipped by the run: an earlier one had succeeded with the same params and command.
 */
export function toJobResult(job: JobState, runStartedAt: number | undefined): JobResult {
  // Built field by field, not by spreading: a huge batch's results are made without garbage to spare.
  const result: Mutable<JobResult> = {
    name: job.name,
    status: job.status,
    exitCode: null,
    signal: null,
    skipped: false,
    params: job.params,
    dataDir: job.dataDir,
    stdoutPath: `${job.dataDir}${sep}stdout`,
    stderrPath: `${job.dataDir}${sep}stderr`,
  };
  if (job.status === 'init') {
    if (job.queued) result.reason = `queued as ${job.queued}`;
  } else if (job.status === 'running') {
    result.host = job.host;
    result.startedAt = job.startedAt;
  } else {
    result.exitCode = job.exitCode;
    result.signal = job.signal;
    result.skipped = job.status === 'succeed' && runStartedAt !== undefined && job.endedAt < runStartedAt;
    if (job.host) result.host = job.host;
    if (job.reason) result.reason = job.reason;
    result.startedAt = job.startedAt;
    result.endedAt = job.endedAt;
    result.durationMs = job.endedAt - job.startedAt;
    if (job.metrics) result.metrics = job.metrics;
  }
  return result;
}

/**
 * A running job with the metrics it has reported so far (as `job describe`, `job list` and the
 * dashboard show them), from `read`; any other job as it is.
 */
export async function withLiveMetrics<J extends { readonly status: JobStatus; readonly metrics?: Metrics | null | undefined }>(
  job: J,
  read: () => Promise<{ readonly last: Metrics } | undefined>,
): Promise<J> {
  if (job.status !== 'running') return job;
  const live = (await read().catch(() => undefined))?.last;
  return live ? { ...job, metrics: live } : job;
}
