import type { StatusCounts } from './batch-state.js';

/** `running` while a live runner holds it; `finished` when every job ended; else `interrupted`, or `init` before any run. */
export type BatchStatus = 'running' | 'finished' | 'interrupted' | 'init';

/** The one rule for a batch's status, for the live run and a reader of the disk alike. */
export function batchStatus({
  active,
  counts,
  started,
  interrupted,
}: {
  active: boolean;
  counts: StatusCounts;
  started: boolean;
  interrupted: boolean;
}): BatchStatus {
  if (active) return 'running';
  if (!started) return 'init';
  return counts.init === 0 && counts.running === 0 && !interrupted ? 'finished' : 'interrupted';
}
