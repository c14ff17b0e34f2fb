import { readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

/** Which processes are a batch's jobs: by the variables every job is started with. */
export interface JobMarks {
  readonly batchName: string;
  /** The batch's own folder: a job's data folder inside it marks the job as the batch's. */
  readonly batchDir: string;
  /** Data folders of the batch's jobs that lie elsewhere (`execution.data_dir`). */
  readonly jobDataDirs: ReadonlySet<string>;
}

/**
 * The process groups of this machine that run jobs of a batch, found by their environment (the
 * `HYPERCTL_BATCH_NAME` and `HYPERCTL_JOB_DATA_DIR` every job starts with, which its children
 * inherit): what an earlier runner started, recorded or not, once that runner is gone. Never the
 * caller's own group. Linux only (`/proc`); elsewhere none.
 */
export async function findLeftoverJobGroups(marks: JobMarks): Promise<number[]> {
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  const own = process.pid;
  const ownGroup = await groupOf(String(own));
  const batchLine = `HYPERCTL_BATCH_NAME=${marks.batchName}`;
  const inside = `${marks.batchDir}/`;
  const groups = new Set<number>();
  for (const pid of pids) {
    if (Number(pid) === own) continue;
    let environ: string;
    try {
      environ = await readFile(`/proc/${pid}/environ`, 'latin1');
    } catch {
      continue;
    }
    const vars = environ.split('\0');
    if (!vars.includes(batchLine)) continue;
    const dataDir = vars.find((v) => v.startsWith('HYPERCTL_JOB_DATA_DIR='))?.slice('HYPERCTL_JOB_DATA_DIR='.length);
    if (dataDir === undefined || !(dataDir.startsWith(inside) || marks.jobDataDirs.has(dataDir))) continue;
    const group = await groupOf(pid);
    if (group !== undefined && group !== ownGroup && group > 1) groups.add(group);
  }
  return [...groups];
}

async function groupOf(pid: string): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name: state, ppid, pgrp.
    const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ', 3)[2]);
    return Number.isSafeInteger(pgrp) ? pgrp : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The pid of the session leader on this machine started with the variables `env` gives a job
 * (`HYPERCTL_BATCH_NAME` and `HYPERCTL_JOB_DATA_DIR`), or undefined: whether a start that was
 * asked for, but never told of, happened. Linux only (`/proc`).
 */
export function findStartedJob(env: Readonly<Record<string, string>>): number | undefined {
  const batch = env.HYPERCTL_BATCH_NAME;
  const dataDir = env.HYPERCTL_JOB_DATA_DIR;
  if (batch === undefined || dataDir === undefined) return undefined;
  const wanted = [`HYPERCTL_BATCH_NAME=${batch}`, `HYPERCTL_JOB_DATA_DIR=${dataDir}`];
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    try {
      const vars = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
      if (!wanted.every((line) => vars.includes(line))) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name: state, ppid, pgrp, session.
      const [state, , , session] = stat.slice(stat.lastIndexOf(')') + 2).split(' ', 4);
      if (Number(session) === Number(pid) && state !== 'Z') return Number(pid);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return undefined;
}
