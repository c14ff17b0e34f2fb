import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** Sends `signal` to the process group led by `pgid`; false when the group is gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True while some process of the group still runs. Members that died but wait to be reaped by
 * an init that reaps slowly (containers) still count for `kill(-pgid, 0)`; on Linux, `/proc`
 * tells them apart.
 */
async function groupRuns(pgid: number): Promise<boolean> {
  if (!signalGroup(pgid, 0)) return false;
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  } catch {
    return true;
  }
  for (const pid of pids) {
    let stat: string;
    try {
      stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the command name: state, ppid, pgrp.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ', 3);
    if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') return true;
  }
  return false;
}

/**
 * Ends a whole process group: SIGTERM, then SIGKILL to whatever is left after `graceMs`. Resolves
 * once no process of the group runs.
 */
export async function terminateGroup(pgid: number, graceMs: number): Promise<void> {
  if (!signalGroup(pgid, 'SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await sleep(Math.min(25, Math.max(1, deadline - Date.now())));
    if (!(await groupRuns(pgid))) return;
  }
  signalGroup(pgid, 'SIGKILL');
  for (let i = 0; i < 40 && (await groupRuns(pgid)); i++) await sleep(25);
}

/** Resolves once no process of the group runs, or `signal` aborts. */
export async function untilGroupEnds(pgid: number, signal: AbortSignal): Promise<void> {
  while (!signal.aborted && (await groupRuns(pgid))) await sleep(200, undefined, { signal }).catch(() => {});
}
