import { readdirSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';

/** How a process ended, as its parent would be told. */
export interface EndStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const signalNames = new Map(Object.entries(constants.signals).map(([name, number]) => [number, name as NodeJS.Signals]));

/** The name of signal `number`, or null for one Node does not know. */
export function signalName(number: number): NodeJS.Signals | null {
  return signalNames.get(number) ?? null;
}

/** The fields of `/proc/PID/stat` after the command name (which may hold spaces): state first. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * What `/proc` says of a child that may have ended while its parent could not tell: `running`,
 * its end status while it waits to be reaped (a zombie: `/proc/PID/stat` field 52, Linux 3.5 and
 * later), or `gone` once reaped (by whoever: the status is lost).
 */
export function childState(pid: number): 'running' | 'gone' | EndStatus {
  const fields = statFields(pid);
  if (fields === undefined) return 'gone';
  if (fields[0] !== 'Z') return fields[0] === 'X' ? 'gone' : 'running';
  const status = Number(fields[49]);
  if (!Number.isInteger(status)) return 'gone';
  const signal = status & 0x7f;
  return signal === 0 ? { code: (status >> 8) & 0xff, signal: null } : { code: null, signal: signalName(signal) };
}

/** The pids of `parent`'s children now. */
export function childrenOf(parent: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  return entries.map(Number).filter((pid) => Number(statFields(pid)?.[1]) === parent);
}
