import { readFileSync } from 'node:fs';

/** A process as it can be told apart from a later one that reuses its PID. */
export interface ProcessIdentity {
  readonly pid: number;
  /** Kernel start time in clock ticks since boot (`/proc/PID/stat` field 22); null where unknown. */
  readonly startTicks: number | null;
}

/** Start time of `pid` from `/proc`, or null when the process is gone, a zombie, or `/proc` is missing. */
export function processStartTicks(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name may hold spaces and parentheses: fields are counted after its closing ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return null;
  const ticks = Number(fields[19]);
  return Number.isFinite(ticks) ? ticks : null;
}

export function identify(pid: number): ProcessIdentity {
  return { pid, startTicks: processStartTicks(pid) };
}

/** True when the process recorded as `who` still runs, and is not another one that got its PID. */
export function isAlive(who: ProcessIdentity): boolean {
  const ticks = processStartTicks(who.pid);
  if (ticks !== null) return who.startTicks === null || ticks === who.startTicks;
  if (who.startTicks !== null) return false;
  try {
    process.kill(who.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
