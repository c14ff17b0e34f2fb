import type { JobSpec } from '../batch/spec.js';
import type { JobRecord, RunRecord } from './records.js';
import { type EndedJob, type InitJob, initialJobState, type JobState, type RunningJob } from './job-state.js';
import type { Mutable } from './mutable.js';

/** What a `run` record does to a job: see {@link reduceJob}. It needs no spec: the job's own name, params and folder are its spec's. */
export function restartJob(job: JobState, record: RunRecord): JobState {
  // A pruned job was judged on its metric: like a success, it is not run again unless forced.
  return record.force || (job.status !== 'succeed' && job.status !== 'pruned') ? initialJobState(job) : job;
}

/**
 * The one rule for what a journal record does to a job. A `run` record starts a run: every job
 * that has not succeeded (and, with `force`, every job) goes back to `init`. A start or exit record
 * of another version of the job (another hash: its params or command changed since) is history of
 * a job that no longer exists: it changes nothing. A retry record sends an ended job back to `init`.
 */
export function reduceJob(job: JobState, record: RunRecord | JobRecord, spec: JobSpec): JobState {
  if (record.e === 'run') return restartJob(job, record);
  if (record.hash !== spec.hash) return job;
  // Asked to run again (only an ended job is): it waits for a slot like a job that never ran.
  if (record.e === 'retry') return initialJobState(spec);
  // Built field by field, not by spreading: a journal of a million records folds without garbage to spare.
  if (record.e === 'start') {
    if (record.queued) {
      const queued: Mutable<InitJob> = initialJobState(spec);
      if (record.handle) queued.queued = record.handle;
      return queued;
    }
    const running: Mutable<RunningJob> = {
      status: 'running',
      name: spec.name,
      params: spec.params,
      dataDir: spec.dataDir,
      startedAt: record.at,
      host: record.host ?? 'local',
    };
    if (record.pid !== undefined) running.pid = record.pid;
    if (record.ticks !== undefined) running.ticks = record.ticks;
    if (record.handle !== undefined) running.handle = record.handle;
    return running;
  }
  const ended: Mutable<EndedJob> = {
    status: record.status,
    name: spec.name,
    params: spec.params,
    dataDir: spec.dataDir,
    startedAt: record.startedAt,
    endedAt: record.at,
    exitCode: record.code,
    signal: record.signal,
  };
  if (record.host) ended.host = record.host;
  if (record.reason) ended.reason = record.reason;
  if (record.metrics) ended.metrics = record.metrics;
  return ended;
}

/**
 * A job as it stands once no runner runs its batch: one that was running, or queued at a
 * scheduler, did not end in any recorded way. A re-run ends or follows what is left of it.
 */
export function settleJob(job: JobState, at: number): JobState {
  if (job.status === 'running') {
    const reason = job.handle
      ? `the runner stopped while the scheduler ran it as ${job.handle}; run the batch again to follow it`
      : 'the runner stopped while the job ran';
    // Never before its start: the instant given may come from a clock coarser than the start's (a file's time).
    return stopped(job, job.startedAt, Math.max(at, job.startedAt), reason, job.host);
  }
  if (job.status === 'init' && job.queued)
    return stopped(job, at, at, `the runner stopped while the scheduler held it as ${job.queued}; run the batch again to follow it`);
  return job;
}

function stopped(job: JobState, startedAt: number, endedAt: number, reason: string, host?: string): EndedJob {
  return {
    name: job.name,
    params: job.params,
    dataDir: job.dataDir,
    status: 'failed',
    startedAt,
    endedAt,
    exitCode: null,
    signal: null,
    reason,
    ...(host ? { host } : {}),
  };
}
