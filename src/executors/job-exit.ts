import type { JobExit, LegacyJobExit } from './executor.js';

/** The case of {@link JobExit} whose outcome is `K`. */
type ExitOf<K extends JobExit['outcome']> = Extract<JobExit, { readonly outcome: K }>;

/*
 * How a job's run ended, built in one place for every executor: a non-zero exit is a result like
 * any other, and each way of ending carries only what it can say.
 */

/** Its process ended by itself, with an exit code or by a signal. */
export function exited(exitCode: number | null, signal: string | null): ExitOf<'exited'> {
  return { outcome: 'exited', exitCode, signal: signal as NodeJS.Signals | null };
}

/** It ended because the run asked (a kill, a stop, Ctrl-C, a timeout), with what its process said. */
export function killedExit(exitCode: number | null = null, signal: string | null = null, reason?: string): ExitOf<'killed'> {
  return { outcome: 'killed', exitCode, signal: signal as NodeJS.Signals | null, ...(reason ? { reason } : {}) };
}

/** Its machine, or the connection to it, was lost: nothing the job did; it may run again elsewhere. */
export function lostExit(reason: string): ExitOf<'lost'> {
  return { outcome: 'lost', reason };
}

/** It could not run, or ended without an outcome anyone could read: `reason` says why. */
export function failedExit(reason: string, exitCode: number | null = null): ExitOf<'failed'> {
  return { outcome: 'failed', reason, exitCode };
}

/** Left to its scheduler on an interrupt, still queued or running there, for a later run to follow. */
export function detachedExit(): ExitOf<'detached'> {
  return { outcome: 'detached' };
}

/**
 * How a GPU lease wrapper that never started its job ended on `host`: exit `busyStatus` when
 * another run holds the GPUs (it is placed again), else the lease could not be taken (a failure).
 */
export function leaseRefusedExit(host: string, code: number | null, signal: string | null, busyStatus: number): ExitOf<'lease-busy' | 'failed'> {
  if (code === busyStatus) return { outcome: 'lease-busy', reason: `its GPUs are held by another run on ${host}` };
  return failedExit(`could not take its GPU lease on ${host} (${signal ?? `exit ${code}`}); its stderr says why`, code);
}

/** An exit as an executor gave it: one in the shape before `outcome` is read as it meant. */
export function jobExitOf(exit: JobExit | LegacyJobExit): JobExit {
  if ('outcome' in exit) return exit;
  if (exit.detached) return detachedExit();
  if (exit.leaseBusy) return { outcome: 'lease-busy', reason: exit.reason ?? 'its GPUs are held by another run' };
  if (exit.lost) return lostExit(exit.reason ?? 'its machine was lost');
  if (exit.killed) return killedExit(exit.exitCode, exit.signal, exit.reason);
  return exit.reason !== undefined && exit.exitCode === null && exit.signal === null
    ? failedExit(exit.reason)
    : { outcome: 'exited', exitCode: exit.exitCode, signal: exit.signal, ...(exit.reason ? { reason: exit.reason } : {}) };
}

/** The exit code and signal an exit record keeps: null where the process said none. */
export function codeAndSignal(exit: JobExit): { readonly code: number | null; readonly signal: NodeJS.Signals | null } {
  if (exit.outcome === 'exited' || exit.outcome === 'killed') return { code: exit.exitCode, signal: exit.signal };
  return { code: exit.outcome === 'failed' ? exit.exitCode : null, signal: null };
}
