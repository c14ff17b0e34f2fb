import type { JobSpec, RetryCause } from '../batch/spec.js';
import type { JobExit } from '../executors/executor.js';
import { codeAndSignal } from '../executors/job-exit.js';
import type { Metrics } from '../metrics/metrics-line.js';
import type { ExitRecord } from '../state/records.js';

/** An exit the journal records: not a job left to its scheduler, not one whose GPUs were busy. */
export type RecordedExit = Exclude<JobExit, { readonly outcome: 'detached' | 'lease-busy' }>;

/** What one run of a job comes to: its status, the kind of failure a retry may follow, and why. */
export interface AttemptOutcome {
  readonly status: ExitRecord['status'];
  /** Set for a failure the retry policy may follow; a success, a kill asked for and a pruning have none. */
  readonly cause?: RetryCause;
  readonly reason?: string;
}

/**
 * The one rule of what a job's run comes to. Pruned by early stopping, it lost on its metric (no
 * failure); past its timeout it failed, whatever its process said when killed; else by how it
 * ended: exit code 0 succeeds, a kill is a kill, everything else fails, a lost machine as `lost`.
 */
export function attemptOutcome(
  exit: RecordedExit,
  job: Pick<JobSpec, 'timeoutMs'>,
  context: { readonly timedOut: boolean; readonly prunedBecause?: string },
): AttemptOutcome {
  if (context.prunedBecause !== undefined) return { status: 'pruned', reason: context.prunedBecause };
  if (context.timedOut)
    return { status: 'failed', cause: 'timeout', reason: `timeout: still running after ${(job.timeoutMs ?? 0) / 1000} s, its process group was killed` };
  const reason = exit.reason !== undefined ? { reason: exit.reason } : {};
  switch (exit.outcome) {
    case 'exited':
      return exit.exitCode === 0 ? { status: 'succeed', ...reason } : { status: 'failed', cause: 'failed', ...reason };
    case 'killed':
      return { status: 'killed', ...reason };
    case 'failed':
      return { status: 'failed', cause: 'failed', ...reason };
    case 'lost':
      return { status: 'failed', cause: 'lost', ...reason };
  }
}

/** What a retry says of the attempt that failed for `cause`: what its executor said, else its exit code or the cause. */
export function retryReason(exit: RecordedExit, cause: RetryCause): string {
  return exit.reason ?? (cause === 'failed' ? `exit code ${codeAndSignal(exit).code}` : cause);
}

/** The journal's record of a job's run that ended with `outcome`. */
export function exitRecordOf(
  job: Pick<JobSpec, 'name' | 'hash'>,
  exit: RecordedExit,
  outcome: AttemptOutcome,
  run: { readonly host: string; readonly startedAt: number; readonly at: number; readonly metrics: Metrics | undefined },
): ExitRecord {
  const { code, signal } = codeAndSignal(exit);
  return {
    e: 'exit',
    job: job.name,
    hash: job.hash,
    status: outcome.status,
    code,
    signal,
    startedAt: run.startedAt,
    at: run.at,
    host: run.host,
    ...(outcome.reason ? { reason: outcome.reason } : {}),
    ...(run.metrics ? { metrics: run.metrics } : {}),
  };
}
