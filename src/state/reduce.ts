import type { JobSpec } from '../batch/spec.js';
import type { JournalRecord } from './records.js';
import { initialJobState, type EndedJob, type JobState } from './job-state.js';

/**
 * The one rule for what a journal record does to a job. A `run` record starts a run: every job
 * that has not succeeded (and, with `force`, every job) goes back to `init`. A start or exit record
 * of another version of the job (another hash: its params or command changed since) is history of
 * a job that no longer exists: it changes nothing.
 */
export function reduceJob(job: JobState, record: JournalRecord, spec: JobSpec): JobState {
  if (record.e === 'run') return record.force || job.status !== 'succeed' ? initialJobState(spec) : job;
  if (record.hash !== spec.hash) return job;
  if (record.e === 'start') {
    const identity = initialJobState(spec);
    if (record.queued) return { ...identity, ...(record.handle ? { queued: record.handle } : {}) };
    return {
      ...identity,
      status: 'running',
      startedAt: record.at,
      host: record.host ?? 'local',
      ...(record.pid !== undefined ? { pid: record.pid } : {}),
      ...(record.ticks !== undefined ? { ticks: record.ticks } : {}),
      ...(record.handle !== undefined ? { handle: record.handle } : {}),
    };
  }
  return {
    ...initialJobState(spec),
    status: record.status,
    startedAt: record.startedAt,
    endedAt: record.at,
    exitCode: record.code,
    signal: record.signal,
    ...(record.host ? { host: record.host } : {}),
    ...(record.reason ? { reason: record.reason } : {}),
    ...(record.metrics ? { metrics: record.metrics } : {}),
  };
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
    return stopped(job, job.startedAt, at, reason, job.host);
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
