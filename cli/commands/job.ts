import { defineCommand } from 'citty';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobStatus } from '../../src/batch/types.js';
import { toJobInfo, type JobInfo } from '../../src/daemon/protocol.js';
import { HyperctlError, isHyperctlError } from '../../src/errors.js';
import { readBatch } from '../../src/store/read-batch.js';
import type { JobSpec } from '../../src/batch/spec.js';
import type { JobResult } from '../../src/index.js';
import { batchesDataDirArg, batchesDataDirFrom, batchNameArg, jsonArg, printJson } from '../common-args.js';
import { exitCodes } from '../exit-codes.js';
import { writeOut } from '../output.js';
import { controllableBatch, liveBatch, type LiveBatch } from '../live-batch.js';
import { readLogChunk } from '../log-file.js';
import { renderJobTable } from '../render/batch-views.js';

const statuses: readonly JobStatus[] = ['init', 'running', 'succeed', 'failed', 'killed'];
const jobNameArg = { job: { type: 'string', alias: 'j', required: true, description: 'job name', valueHint: 'NAME' } } as const;

function storedJob(dir: string, batch: string, name: string): { job: JobResult; spec: JobSpec } {
  const stored = readBatch(dir, batch);
  const job = stored.jobs.find((j) => j.name === name);
  const spec = stored.state.spec(name);
  if (!job || !spec) throw new HyperctlError('E_JOB_NOT_FOUND', `batch "${batch}" has no job "${name}"`);
  return { job, spec };
}

const list = defineCommand({
  meta: { name: 'list', description: "list a batch's jobs (live from its daemon while it runs)" },
  args: {
    ...batchNameArg,
    status: { type: 'string', description: `only jobs with this status: ${statuses.join(', ')}`, valueHint: 'S' },
    ...batchesDataDirArg,
    ...jsonArg,
  },
  async run({ args }): Promise<number> {
    const status = args.status as JobStatus | undefined;
    if (status !== undefined && !statuses.includes(status))
      throw new HyperctlError('E_USAGE', `--status: expected one of ${statuses.join(', ')}, got ${JSON.stringify(args.status)}`);
    const dir = batchesDataDirFrom(args);
    const live = liveBatch(dir, args.batch);
    const jobs: JobInfo[] = live
      ? (await live.client.jobs(status ? { status } : {})).jobs
      : readBatch(dir, args.batch)
          .jobs.filter((j) => status === undefined || j.status === status)
          .map(toJobInfo);
    if (args.json) printJson(jobs);
    else process.stdout.write(renderJobTable(jobs));
    return exitCodes.ok;
  },
});

const describe = defineCommand({
  meta: { name: 'describe', description: 'show one job in full, as JSON' },
  args: { ...batchNameArg, ...jobNameArg, ...batchesDataDirArg, ...jsonArg },
  async run({ args }): Promise<number> {
    const dir = batchesDataDirFrom(args);
    const stored = storedJob(dir, args.batch, args.job);
    const live = liveBatch(dir, args.batch);
    const info = live ? await live.client.job(args.job) : toJobInfo(stored.job);
    // Already a structured document: the same JSON either way, as the original tool printed it.
    printJson({ ...info, command: stored.spec.command, workingDir: stored.spec.workingDir });
    return exitCodes.ok;
  },
});

const kill = defineCommand({
  meta: { name: 'kill', description: "kill a running job's whole process group; it ends killed and its slot goes to the next job" },
  args: { ...batchNameArg, ...jobNameArg, ...batchesDataDirArg, ...jsonArg },
  async run({ args }): Promise<number> {
    await controllableBatch(batchesDataDirFrom(args), args.batch).client.kill(args.job);
    if (args.json) printJson({ name: args.job, killing: true });
    else process.stdout.write(`job ${args.job}: killing\n`);
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
    const stream = args.stderr ? 'stderr' : 'stdout';
    const file = join(storedJob(dir, args.batch, args.job).job.dataDir, stream);
    let live = liveBatch(dir, args.batch);
    let lastEnded = false;
    let lastCheck = 0;
    const fromDisk = (offset: number): LogRead => {
      if (Date.now() - lastCheck >= 500) {
        const batch = readBatch(dir, args.batch);
        const status = batch.jobs.find((j) => j.name === args.job)?.status;
        // A job that never started has ended too once nothing runs its batch.
        lastEnded = status !== 'running' && (status !== 'init' || batch.status !== 'running');
        lastCheck = Date.now();
      }
      return { ...readLogChunk(file, offset), ended: lastEnded };
    };
    let offset = 0;
    for (;;) {
      let read: LogRead;
      try {
        read = live ? await fromDaemon(live, args.job, stream, offset) : fromDisk(offset);
      } catch (error) {
        // The daemon went away (the batch ended and it stopped serving): the files tell the rest.
        if (!(isHyperctlError(error) && error.code === 'E_DAEMON_UNREACHABLE')) throw error;
        live = undefined;
        continue;
      }
      offset = read.offset;
      if (read.data.length > 0) {
        // A reader that went away (`| head`) has all it wanted.
        if (!(await writeOut(read.data))) break;
      } else if (!args.follow || read.ended) break;
      else await sleep(100);
    }
    return exitCodes.ok;
  },
});

interface LogRead {
  readonly data: Buffer;
  readonly offset: number;
  /** True once the job can write no more. */
  readonly ended: boolean;
}

async function fromDaemon(live: LiveBatch, job: string, stream: 'stdout' | 'stderr', offset: number): Promise<LogRead> {
  const { data, status } = await live.client.logs(job, { stream, offset, length: 1 << 20 });
  const ended = status !== 'running' && (status !== 'init' || (await live.client.batch()).status !== 'running');
  return { data, offset: offset + data.length, ended };
}

export const jobCommand = defineCommand({
  meta: { name: 'job', description: "inspect and control a batch's jobs" },
  subCommands: { list, describe, kill, logs },
});
