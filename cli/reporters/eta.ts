/** What the live block knows of a run, for its estimate. */
export interface Progress {
  /** When now is, and when each running job started (ms). */
  readonly now: number;
  readonly runningSince: readonly number[];
  /** Durations of the jobs that ended in this run (ms). */
  readonly finishedMs: number;
  readonly finished: number;
  /** Jobs that are still to start (none once the batch is stopping). */
  readonly pending: number;
}

/**
 * Time left, from the mean duration of the jobs that ended: the pending jobs spread over as many
 * slots as now run, plus what the running jobs have left on average. Undefined before any job ended.
 * Unlike "elapsed ÷ done × left", a first job ending early in a wide run does not multiply the
 * estimate by the parallelism.
 */
export function estimateRemainingMs(p: Progress): number | undefined {
  if (p.finished === 0 || (p.pending === 0 && p.runningSince.length === 0)) return undefined;
  const mean = p.finishedMs / p.finished;
  const slots = Math.max(1, p.runningSince.length);
  const left = p.runningSince.map((since) => Math.max(0, mean - (p.now - since)));
  const running = left.length > 0 ? left.reduce((a, b) => a + b, 0) / left.length : 0;
  return (p.pending * mean) / slots + running;
}
