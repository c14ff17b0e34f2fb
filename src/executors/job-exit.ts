import type { JobExit } from './executor.js';

/*
 * How a job's run ended, built in one place for every executor: a non-zero exit is a result like
 * any other, and each way of ending carries only what it can say.
 */

/** Its process ended by itself, with an exit code or by a signal. */
export function exited(exitCode: number | null, signal: string | null): JobExit {
  return { exitCode, signal: signal as NodeJS.Signals | null, killed: false };
}

/** It ended because the run asked (a kill, a stop, Ctrl-C, a timeout), with what its process said. */
export function killedExit(exitCode: number | null = null, signal: string | null = null, reason?: string): JobExit {
  return { exitCode, signal: signal as NodeJS.Signals | null, killed: true, ...(reason ? { reason } : {}) };
}

/** Its machine, or the connection to it, was lost: nothing the job did; it may run again elsewhere. */
export function lostExit(reason: string): JobExit {
  return { exitCode: null, signal: null, killed: false, lost: true, reason };
}

/** It could not run, or ended without an outcome anyone could read: `reason` says why. */
export function failedExit(reason: string, exitCode: number | null = null): JobExit {
  return { exitCode, signal: null, killed: false, reason };
}

/** Left to its scheduler on an interrupt, still queued or running there, for a later run to follow. */
export function detachedExit(): JobExit {
  return { exitCode: null, signal: null, killed: false, detached: true };
}

/**
 * How a GPU lease wrapper that never started its job ended on `host`: exit `busyStatus` when
 * another run holds the GPUs (it is placed again), else the lease could not be taken (a failure).
 */
export function leaseRefusedExit(host: string, code: number | null, signal: string | null, busyStatus: number): JobExit {
  if (code === busyStatus) return { exitCode: null, signal: null, killed: false, leaseBusy: true, reason: `its GPUs are held by another run on ${host}` };
  return failedExit(`could not take its GPU lease on ${host} (${signal ?? `exit ${code}`}); its stderr says why`, code);
}
