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
 * How many processes of the group still run (`first`: stop at the first one found). Members that
 * died but wait to be reaped by an init that reaps slowly (containers) still count for
 * `kill(-pgid, 0)`; on Linux, `/proc` tells them apart. Without `/proc`, 1 while the group answers.
 */
async function liveMembers(pgid: number, first: boolean): Promise<number> {
  if (!signalGroup(pgid, 0)) return 0;
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  } catch {
    return 1;
  }
  let count = 0;
  for (const pid of pids) {
    let stat: string;
    try {
      stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the command name: state, ppid, pgrp.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ', 3);
    if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X' && ++count > 0 && first) return count;
  }
  return count;
}

/** True while some process of the group still runs. */
async function groupRuns(pgid: number): Promise<boolean> {
  return (await liveMembers(pgid, true)) > 0;
}

/**
 * Ends what a job left in its process group once its own process ended (a `sleep 300 &`, a
 * daemon that closed its output): SIGTERM, SIGKILL after `graceMs`. Resolves with how many
 * processes were left: 0, in one system call, for a job that left none.
 */
export async function endLeftovers(pgid: number, graceMs: number): Promise<number> {
  const left = await liveMembers(pgid, false);
  if (left > 0) await terminateGroup(pgid, graceMs);
  return left;
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
