import { defineCommand } from 'citty';
import { join } from 'node:path';
import { toJobInfo, type JobInfo } from '../../src/daemon/protocol.js';
import { HyperctlError } from '../../src/errors.js';
import { bestJob, compareJobs, parseWhere } from '../../src/results/compare.js';
import { readDaemonAccess } from '../../src/store/batch-store.js';
import { listBatches, readBatch } from '../../src/store/read-batch.js';
import { serveStoredBatch } from '../../src/daemon/serve-stored.js';
import { integerFlag } from '../args.js';
import { batchesDataDirArg, batchesDataDirFrom, jsonArg, printJson } from '../common-args.js';
import type { CommandData } from '../command-data.js';
import { exitCodes } from '../exit-codes.js';
import { controllableBatch, liveBatch } from '../live-batch.js';
import { renderBatchList, renderBatchSummary, renderJobTable, storedBatchInfo, storedJobInfos } from '../render/batch-views.js';
import { comparisonJson, renderComparisonCsv, renderComparisonMarkdown, renderComparisonTable } from '../render/comparison.js';

const nameArg = { name: { type: 'positional', required: true, description: 'batch name' } } as const;

const list = defineCommand({
  meta: { name: 'list', description: 'list every batch with its status and job counts' },
  args: { ...batchesDataDirArg, ...jsonArg },
  run({ args }): number {
    const dir = batchesDataDirFrom(args);
    // The journal on disk is current while a batch runs, so the listing never waits on a daemon.
    const batches = listBatches(dir).map((b) => ({ ...storedBatchInfo(b), portal: b.runner?.portal ?? null }));
    if (args.json) printJson(batches);
    else process.stdout.write(batches.length ? renderBatchList(batches) : `no batches in ${dir}\n`);
    return exitCodes.ok;
  },
});

const show = defineCommand({
  meta: { name: 'show', description: "show a batch's summary and its jobs (live from its daemon while it runs)" },
  args: { ...nameArg, ...batchesDataDirArg, ...jsonArg },
  async run({ args }): Promise<number> {
    const dir = batchesDataDirFrom(args);
    const live = liveBatch(dir, args.name);
    const view = live
      ? { batch: await live.client.batch(), jobs: (await live.client.jobs()).jobs, source: `live, daemon ${live.portal}` }
      : (() => {
          const stored = readBatch(dir, args.name);
          return { batch: storedBatchInfo(stored), jobs: storedJobInfos(stored), source: 'from disk' };
        })();
    if (args.json) printJson({ ...view.batch, jobs: view.jobs });
    else process.stdout.write(`${renderBatchSummary(view.batch, view.source)}\n${renderJobTable(view.jobs)}`);
    return exitCodes.ok;
  },
});

const stop = defineCommand({
  meta: { name: 'stop', description: 'stop a running batch: no new jobs start; with --kill, running jobs are killed too' },
  args: { ...nameArg, kill: { type: 'boolean', description: 'also kill the running jobs (default: let them finish)' }, ...batchesDataDirArg, ...jsonArg },
  async run({ args }): Promise<number> {
    const kill = Boolean(args.kill);
    await controllableBatch(batchesDataDirFrom(args), args.name).client.stop({ kill });
    if (args.json) printJson({ name: args.name, stopping: true, kill });
    else process.stdout.write(`batch ${args.name}: stopping; ${kill ? 'running jobs are being killed' : 'running jobs will finish'}\n`);
    return exitCodes.ok;
  },
});

/** The batch's jobs as a comparison sees them, from disk. */
function comparedJobs(batchesDataDir: string, name: string): JobInfo[] {
  return readBatch(batchesDataDir, name).jobs.map(toJobInfo);
}

const compare = defineCommand({
  meta: { name: 'compare', description: "line up a batch's jobs by params and metrics" },
  args: {
    ...nameArg,
    sort: { type: 'string', description: 'metric or param to sort by (jobs without it come last)', valueHint: 'KEY' },
    desc: { type: 'boolean', description: 'sort from the largest' },
    top: { type: 'string', description: 'show only the first N jobs', valueHint: 'N' },
    where: { type: 'string', description: "only jobs where all hold, e.g. 'status=succeed,accuracy>0.9' (=, !=, <, <=, >, >=)", valueHint: 'CONDITIONS' },
    columns: { type: 'string', description: 'columns to show, comma-separated (default: name, status, varying params, metrics, duration)', valueHint: 'KEYS' },
    csv: { type: 'boolean', description: 'print CSV' },
    markdown: { type: 'boolean', description: 'print a Markdown table' },
    ...batchesDataDirArg,
    ...jsonArg,
  },
  run({ args }): number {
    if ([args.json, args.csv, args.markdown].filter(Boolean).length > 1) throw new HyperctlError('E_USAGE', 'choose one of --json, --csv and --markdown');
    const top = integerFlag('top', args.top, 1);
    const comparison = compareJobs(comparedJobs(batchesDataDirFrom(args), args.name), {
      ...(args.sort ? { sort: args.sort } : {}),
      desc: Boolean(args.desc),
      ...(top !== undefined ? { top } : {}),
      ...(args.where ? { where: parseWhere(args.where) } : {}),
      ...(args.columns
        ? {
            columns: args.columns
              .split(',')
              .map((c) => c.trim())
              .filter(Boolean),
          }
        : {}),
    });
    if (args.json) printJson(comparisonJson(comparison));
    else
      process.stdout.write(
        args.csv ? renderComparisonCsv(comparison) : args.markdown ? renderComparisonMarkdown(comparison) : renderComparisonTable(comparison),
      );
    return exitCodes.ok;
  },
});

const best = defineCommand({
  meta: { name: 'best', description: 'print the job with the best value of a metric, and its params' },
  args: {
    ...nameArg,
    metric: { type: 'string', required: true, description: 'the metric', valueHint: 'NAME' },
    min: { type: 'boolean', description: 'lowest is best (e.g. a loss)' },
    max: { type: 'boolean', description: 'highest is best (the default, e.g. an accuracy)' },
    ...batchesDataDirArg,
    ...jsonArg,
  },
  run({ args }): number {
    if (args.min && args.max) throw new HyperctlError('E_USAGE', 'choose one of --min and --max');
    const goal = args.min ? 'min' : 'max';
    const jobs = comparedJobs(batchesDataDirFrom(args), args.name);
    const winner = bestJob(jobs, args.metric, goal);
    if (!winner) throw new HyperctlError('E_JOB_NOT_FOUND', `no job of batch "${args.name}" succeeded with a numeric metric "${args.metric}"`);
    const value = winner.metrics![args.metric];
    if (args.json) printJson({ name: winner.name, metric: args.metric, value, goal, params: winner.params, metrics: winner.metrics, dataDir: winner.dataDir });
    else
      process.stdout.write(
        `${winner.name}: ${args.metric}=${value} (${goal} of ${jobs.filter((j) => j.status === 'succeed').length} succeeded jobs)\nparams: ${JSON.stringify(winner.params)}\n`,
      );
    return exitCodes.ok;
  },
});

const dashboard = defineCommand({
  meta: { name: 'dashboard', description: "print the address of a running batch's dashboard (it holds the batch's token: keep it private)" },
  args: { ...nameArg, ...batchesDataDirArg, ...jsonArg },
  run({ args }): number {
    const dir = batchesDataDirFrom(args);
    const access = readDaemonAccess(join(dir, args.name));
    if (!access) {
      const batch = readBatch(dir, args.name);
      throw new HyperctlError(
        'E_NOT_RUNNING',
        `batch "${args.name}" is not served (it is ${batch.status}); "hyperctl batch serve ${args.name}" serves its dashboard from disk`,
      );
    }
    const url = `${access.portal}/${access.token}/`;
    if (args.json) printJson({ name: args.name, dashboard: url });
    else process.stdout.write(`${url}\n`);
    return exitCodes.ok;
  },
});

const serve = defineCommand({
  meta: { name: 'serve', description: 'serve a batch that is not running — its dashboard and API — from disk, until Ctrl-C' },
  args: {
    ...nameArg,
    host: { type: 'string', description: 'address to listen on (default: localhost)', valueHint: 'HOST' },
    port: { type: 'string', description: 'port, 0 for any free one (default: 8060)', valueHint: 'N' },
    ...batchesDataDirArg,
  },
  async run({ args, data }): Promise<number> {
    const port = integerFlag('port', args.port, 0, 65_535) ?? 8060;
    const controller = new AbortController();
    (data as CommandData).signals.handle(() => controller.abort());
    await serveStoredBatch(batchesDataDirFrom(args), args.name, {
      host: args.host ?? 'localhost',
      port,
      signal: controller.signal,
      onServing: (url) =>
        process.stderr.write(`serving batch ${args.name} (from disk) at ${url}\nthe address holds the batch's token: keep it private; Ctrl-C to stop\n`),
    });
    return exitCodes.ok;
  },
});

export const batchCommand = defineCommand({
  meta: { name: 'batch', description: 'inspect, compare and control batches' },
  subCommands: { list, show, compare, best, dashboard, serve, stop },
});
