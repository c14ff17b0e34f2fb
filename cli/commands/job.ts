import { defineCommand } from 'citty';
import { HyperctlError, type JobStatus } from '../../src/index.js';
import { integerFlag } from '../args.js';
import { batchArgs, batchFrom, batchNameArg, printJson } from '../common-args.js';
import { exitCodes } from '../exit-codes.js';
import { writeOut } from '../output.js';
import { renderJobTable } from '../render/batch-views.js';
import { commandMeta } from './meta.js';

const statuses: readonly JobStatus[] = ['init', 'running', 'succeed', 'failed', 'killed', 'pruned'];
const jobNameArg = { job: { type: 'string', alias: 'j', required: true, description: 'job name', valueHint: 'NAME' } } as const;

const list = defineCommand({
  meta: { name: 'list', description: "list a batch's jobs (live from its daemon while it runs)" },
  args: {
    ...batchNameArg,
    status: { type: 'string', description: `only jobs with this status: ${statuses.join(', ')}`, valueHint: 'S' },
    ...batchArgs,
  },
  async run({ args }): Promise<number> {
    const status = args.status as JobStatus | undefined;
    if (status !== undefined && !statuses.includes(status))
      throw new HyperctlError('E_USAGE', `--status: expected one of ${statuses.join(', ')}, got ${JSON.stringify(args.status)}`);
    const { jobs } = await batchFrom(args, args.batch).jobs(status ? { status } : {});
    if (args.json) printJson(jobs);
    else process.stdout.write(renderJobTable(jobs));
    return exitCodes.ok;
  },
});

const describe = defineCommand({
  meta: { name: 'describe', description: 'show one job in full, as JSON' },
  args: { ...batchNameArg, ...jobNameArg, ...batchArgs },
  async run({ args }): Promise<number> {
    // Already a structured document: the same JSON with or without --json, as the original tool printed it.
    printJson(await batchFrom(args, args.batch).job(args.job));
    return exitCodes.ok;
  },
});

const kill = defineCommand({
  meta: { name: 'kill', description: "kill a running job's whole process group; it ends killed and its slot goes to the next job" },
  args: { ...batchNameArg, ...jobNameArg, ...batchArgs },
  async run({ args }): Promise<number> {
    await batchFrom(args, args.batch).kill(args.job);
    if (args.json) printJson({ name: args.job, killing: true });
    else process.stdout.write(`job ${args.job}: killing\n`);
    return exitCodes.ok;
  },
});

const retry = defineCommand({
  meta: { name: 'retry', description: 'run an ended job of a running batch again (or --failed: every failed one), after those waiting' },
  args: {
    ...batchNameArg,
    job: { type: 'string', alias: 'j', description: 'job name', valueHint: 'NAME' },
    failed: { type: 'boolean', description: 'every failed job' },
    ...batchArgs,
  },
  async run({ args }): Promise<number> {
    if ((args.job === undefined) === !args.failed) throw new HyperctlError('E_USAGE', 'job retry: give -j JOB or --failed');
    const batch = batchFrom(args, args.batch);
    const retried = args.failed ? await batch.retryFailed() : await batch.retry(args.job!);
    if (args.json) printJson({ retried });
    else process.stdout.write(retried.length ? `queued again: ${retried.join(', ')}\n` : 'no failed job to retry\n');
    return exitCodes.ok;
  },
});

const priority = defineCommand({
  meta: { name: 'priority', description: "set a waiting job's priority: higher starts first (default 0; --first: above every other)" },
  args: {
    ...batchNameArg,
    ...jobNameArg,
    priority: { type: 'positional', required: false, description: 'a whole number', valueHint: 'N' },
    first: { type: 'boolean', description: 'above every other waiting job' },
    ...batchArgs,
  },
  async run({ args }): Promise<number> {
    if ((args.priority === undefined) === !args.first) throw new HyperctlError('E_USAGE', 'job priority: give a priority N or --first');
    const wanted = args.first ? 'first' : integerFlag('priority', args.priority, Number.MIN_SAFE_INTEGER);
    const value = await batchFrom(args, args.batch).prioritize(args.job, wanted!);
    if (args.json) printJson({ name: args.job, priority: value });
    else process.stdout.write(`job ${args.job}: priority ${value}\n`);
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
    ...batchArgs,
  },
  async run({ args }): Promise<number> {
    const batch = batchFrom(args, args.batch);
    const job = await batch.job(args.job);
    let printed = false;
    for await (const chunk of batch.readLogs(args.job, { stream: args.stderr ? 'stderr' : 'stdout', follow: Boolean(args.follow) })) {
      printed = true;
      // A reader that went away (`| head`) has all it wanted.
      if (!(await writeOut(chunk))) break;
    }
    // Nothing to show is an answer too: say why, on stderr, where it does not mix with the log.
    if (!printed && job.status === 'init')
      process.stderr.write(`hyperctl: job ${args.job} has not started${job.reason ? ` (${job.reason})` : ''}; it has no output yet\n`);
    return exitCodes.ok;
  },
});

const fetch = defineCommand({
  meta: { name: 'fetch', description: 'bring files of a job that ran on a remote machine into its data folder (its outputs, or the globs given)' },
  args: { ...batchNameArg, ...jobNameArg, ...batchArgs },
  async run({ args }): Promise<number> {
    // The globs are what follows the flags: `job fetch -b B -j J 'plots/*.png' model.pt`.
    const globs = args._.map(String);
    const fetched = await batchFrom(args, args.batch).fetch(args.job, globs);
    for (const note of fetched.notes) process.stderr.write(`${note}\n`);
    if (args.json) printJson(fetched);
    else process.stdout.write(fetched.files.map((file) => `${file}\n`).join(''));
    return exitCodes.ok;
  },
});

export const jobCommand = defineCommand({
  meta: commandMeta.job,
  subCommands: { list, describe, kill, retry, priority, logs, fetch },
});
