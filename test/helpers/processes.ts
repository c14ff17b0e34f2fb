import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** True while `pid` runs (a zombie counts as ended). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\S+ \(.*\) [ZX] /s.test(stat);
  } catch {
    return false;
  }
}

/** True when `file` exists and holds `text`. */
export function fileContains(file: string, text: string): boolean {
  try {
    return readFileSync(file, 'utf8').includes(text);
  } catch {
    return false;
  }
}

/** Waits until `check` is true, polling; throws with `what` after `ms`. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** The pids a fixture job wrote, one per line, into `file`. */
export function readPids(file: string): number[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** The pids of `pid`'s children whose command line holds `name`. */
export function childPids(pid: number, name: string): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(name)) children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

/** Bytes sent to `pid` on its standard input (a socket, as Node makes stdio pipes) that it has not read yet. */
export function inputBytesWaiting(pid: number): number {
  const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/0`))?.[1];
  if (inode === undefined) throw new Error(`the standard input of ${pid} is not a socket`);
  // ss -x: Netid State Recv-Q Send-Q Local-Address Local-Port Peer-Address Peer-Port …
  const row = execFileSync('ss', ['-xaH'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .find((fields) => fields[5] === inode);
  return Number(row?.[2] ?? 0);
}
