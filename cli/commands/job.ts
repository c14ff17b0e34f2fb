import { defineCommand } from 'citty';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobStatus } from '../../src/batch/types.js';
import { HyperctlError } from '../../src/errors.js';
import { readBatch, type StoredJob } from '../../src/store/read-batch.js';
import { batchesDataDirArg, batchesDataDirFrom, batchNameArg, jsonArg, printJson } from '../common-args.js';
import { exitCodes } from '../exit-codes.js';
import { jobJson, renderJobTable } from '../render/batch-views.js';

const statuses: readonly JobStatus[] = ['init', 'running', 'succeed', 'failed', 'killed'];
const jobNameArg = { job: { type: 'string', alias: 'j', required: true, description: 'job name', valueHint: 'NAME' } } as const;

function findJob(dir: string, batch: string, name: string): StoredJob {
  const job = readBatch(dir, batch).jobs.find((j) => j.name === name);
  if (!job) throw new HyperctlError('E_BATCH_NOT_FOUND', `batch "${batch}" has no job "${name}"`);
  return job;
}

const list = defineCommand({
  meta: { name: 'list', description: "list a batch's jobs" },
  args: { ...batchNameArg, status: { type: 'string', description: `only jobs with this status: ${statuses.join(', ')}`, valueHint: 'S' }, ...batchesDataDirArg, ...jsonArg },
  run({ args }): number {
    if (args.status !== undefined && !statuses.includes(args.status as JobStatus)) throw new HyperctlError('E_USAGE', `--status: expected one of ${statuses.join(', ')}, got ${JSON.stringify(args.status)}`);
    const jobs = readBatch(batchesDataDirFrom(args), args.batch).jobs.filter((j) => args.status === undefined || j.status === args.status);
    if (args.json) printJson(jobs.map(jobJson));
    else process.stdout.write(renderJobTable(jobs));
    return exitCodes.ok;
  },
});

const describe = defineCommand({
  meta: { name: 'describe', description: 'show one job in full' },
  args: { ...batchNameArg, ...jobNameArg, ...batchesDataDirArg, ...jsonArg },
  run({ args }): number {
    const job = jobJson(findJob(batchesDataDirFrom(args), args.batch, args.job));
    // Already a structured document: the same JSON either way, as the original tool printed it.
    printJson(job);
    return exitCodes.ok;
  },
});

const logs = defineCommand({
  meta: { name: 'logs', description: "print a job's stdout (or stderr)" },
  args: {
    ...batchNameArg,
    ...jobNameArg,
    stderr: { type: 'boolean', description: 'print stderr instead of stdout' },
    follow: { type: 'boolean', alias: 'f', description: 'keep printing new output until the job ends' },
    ...batchesDataDirArg,
  },
  async run({ args }): Promise<number> {
    const dir = batchesDataDirFrom(args);
    let job = findJob(dir, args.batch, args.job);
    const file = join(job.dataDir, args.stderr ? 'stderr' : 'stdout');
    let offset = 0;
    let lastCheck = Date.now();
    for (;;) {
      offset = copyFrom(file, offset);
      if (!args.follow || (job.status !== 'running' && job.status !== 'init')) break;
      await sleep(100);
      if (Date.now() - lastCheck >= 500) {
        job = findJob(dir, args.batch, args.job);
        lastCheck = Date.now();
      }
    }
    offset = copyFrom(file, offset);
    return exitCodes.ok;
  },
});

/** Copies `file` from `offset` to stdout; returns the new offset. A missing file is empty. */
function copyFrom(file: string, offset: number): number {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return offset;
  }
  if (size < offset) offset = 0;
  if (size === offset) return offset;
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(64 * 1024);
    while (offset < size) {
      const n = readSync(fd, buffer, 0, Math.min(buffer.length, size - offset), offset);
      if (n === 0) break;
      process.stdout.write(buffer.subarray(0, n));
      offset += n;
    }
  } finally {
    closeSync(fd);
  }
  return offset;
}

export const jobCommand = defineCommand({
  meta: { name: 'job', description: "inspect a batch's jobs" },
  subCommands: { list, describe, logs },
});
