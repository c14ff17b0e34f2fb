import { defineCommand } from 'citty';
import { dirname, resolve } from 'node:path';
import {
  bestAcrossBatches,
  compareBatches,
  frontAcrossBatches,
  generateJobs,
  HyperctlError,
  listBatches,
  loadConfigFile,
  maxAddedJobs,
  parseWhere,
} from '../../src/index.js';
import { repeatedFlag, sweepTemplate } from '../param-sweep.js';
import { integerFlag } from '../args.js';
import type { CommandData } from '../command-data.js';
import { batchArgs, batchesDataDirArg, batchesDataDirFrom, batchFrom, printJson } from '../common-args.js';
import { exitCodes } from '../exit-codes.js';
import { renderBatchList, renderBatchSummary, renderJobTable } from '../render/batch-views.js';
import { comparisonJson, renderComparisonCsv, renderComparisonMarkdown, renderComparisonTable } from '../render/comparison.js';
import { renderFront } from '../render/front.js';
import { goalSource } from '../render/goal-source.js';
import { formatNumber } from '../style.js';
import { commandMeta } from './meta.js';

const nameArg = { name: { type: 'positional', required: true, description: 'batch name' } } as const;

const list = defineCommand({
  meta: { name: 'list', description: 'list every batch with its status and job counts' },
  args: batchArgs,
  async run({ args }): Promise<number> {
    // The journal on disk is current while a batch runs, so the listing never waits on a daemon.
    const batches = await listBatches({ batchesDataDir: batchesDataDirFrom(args) });
    if (args.json) printJson(batches.map(({ source: _source, ...batch }) => batch));
    else process.stdout.write(batches.length ? renderBatchList(batches) : `no batches in ${batchesDataDirFrom(args)}\n`);
    return exitCodes.ok;
  },
});

const show = defineCommand({
  meta: { name: 'show', description: "show a batch's summary and its jobs (live from its daemon while it runs)" },
  args: { ...nameArg, ...batchArgs },
  async run({ args }): Promise<number> {
    const batch = batchFrom(args, args.name);
    const { source, portal, ...info } = await batch.info();
    const { jobs } = await batch.jobs();
    if (args.json) printJson({ ...info, jobs });
    else process.stdout.write(`${renderBatchSummary(info, source === 'daemon' ? `live, daemon ${portal}` : 'from disk')}\n${renderJobTable(jobs)}`);
    return exitCodes.ok;
  },
});

const stop = defineCommand({
  meta: { name: 'stop', description: 'stop a running batch: no new jobs start; with --kill, running jobs are killed too' },
  args: { ...nameArg, kill: { type: 'boolean', description: 'also kill the running jobs (default: let them finish)' }, ...batchArgs },
  async run({ args }): Promise<number> {
    const kill = Boolean(args.kill);
    const batch = batchFrom(args, args.name);
    const { status } = await batch.info();
    await batch.stop({ kill });
    if (args.json) printJson({ name: args.name, stopping: true, kill });
    else if (status !== 'running') process.stdout.write(`batch ${args.name} has ended (${status}); its daemon stops serving it\n`);
    else process.stdout.write(`batch ${args.name}: stopping; ${kill ? 'running jobs are being killed' : 'running jobs will finish'}\n`);
    return exitCodes.ok;
  },
});

const update = defineCommand({
  meta: {
    name: 'update',
    description: "change a running batch's parallelism (or one machine's slots, or a search's trial budget); journalled, a re-run keeps it",
  },
  args: {
    ...nameArg,
    parallelism: { type: 'string', alias: 'p', description: 'jobs at once from now on (lowering it kills no running job)', valueHint: 'N' },
    machine: { type: 'string', description: 'with --parallelism: set the slots of this one machine (its host, remote backend)', valueHint: 'HOST' },
    'max-trials': { type: 'string', description: "a search's trial budget from now on", valueHint: 'N' },
    ...batchArgs,
  },
  async run({ args }): Promise<number> {
    const parallelism = integerFlag('parallelism', args.parallelism, 1);
    const maxTrials = integerFlag('max-trials', args['max-trials'], 1);
    if (parallelism === undefined && maxTrials === undefined) throw new HyperctlError('E_USAGE', 'batch update: give --parallelism N or --max-trials N');
    if (args.machine !== undefined && parallelism === undefined) throw new HyperctlError('E_USAGE', '--machine: goes with --parallelism');
    const info = await batchFrom(args, args.name).update({
      ...(parallelism !== undefined ? { parallelism } : {}),
      ...(args.machine !== undefined ? { machine: args.machine } : {}),
      ...(maxTrials !== undefined ? { maxTrials } : {}),
    });
    if (args.json) printJson(info);
    else {
      const what = [
        ...(parallelism !== undefined ? [`${args.machine !== undefined ? `machine ${args.machine}: ` : ''}parallelism ${parallelism}`] : []),
        ...(maxTrials !== undefined ? [`max trials ${maxTrials}`] : []),
      ];
      process.stdout.write(`batch ${args.name}: ${what.join(', ')} from now on\n`);
    }
    return exitCodes.ok;
  },
});

const pause = defineCommand({
  meta: { name: 'pause', description: 'pause a running batch: no job starts until resume; with --kill, running jobs are killed and start again on resume' },
  args: { ...nameArg, kill: { type: 'boolean', description: 'also kill the running jobs (default: let them finish)' }, ...batchArgs },
  async run({ args }): Promise<number> {
    const kill = Boolean(args.kill);
    const info = await batchFrom(args, args.name).pause({ kill });
    if (args.json) printJson(info);
    else process.stdout.write(`batch ${args.name}: paused; ${kill ? 'running jobs are being killed (they start again on resume)' : 'running jobs go on'}\n`);
    return exitCodes.ok;
  },
});

const resume = defineCommand({
  meta: { name: 'resume', description: 'resume a paused batch: jobs start again' },
  args: { ...nameArg, ...batchArgs },
  async run({ args }): Promise<number> {
    const info = await batchFrom(args, args.name).resume();
    if (args.json) printJson(info);
    else process.stdout.write(`batch ${args.name}: resumed\n`);
    return exitCodes.ok;
  },
});

const add = defineCommand({
  meta: {
    name: 'add',
    description:
      'add jobs to a running batch (-c FILE: its jobs, or a job template; or --param NAME=V1,V2,… -- COMMAND), or trials to a running search (--param NAME=VALUE …, or -c FILE with a list of params); jobs run after those waiting, trials are proposed before any drawn one, and a later run keeps them',
  },
  args: {
    ...nameArg,
    config: {
      type: 'string',
      alias: 'c',
      description: "a file of jobs (as a batch config writes them) or a job template; for a search, a list of trials' params",
      valueHint: 'FILE',
    },
    param: {
      type: 'string',
      description:
        'NAME=V1,V2,… a param to sweep (repeatable), with the command after --; for a search, without a command: the params of trials to queue (their values crossed)',
      valueHint: 'NAME=VALUES',
    },
    ...batchArgs,
  },
  async run({ args, rawArgs, data }): Promise<number> {
    const { rest } = data as CommandData;
    const paramFlags = repeatedFlag(rawArgs, 'param');
    const flags = paramFlags.length > 0 || rest !== undefined;
    if ((args.config !== undefined) === flags)
      throw new HyperctlError('E_USAGE', 'batch add: give -c FILE, --param NAME=V1,V2,… -- COMMAND (jobs), or --param NAME=VALUE … (trials of a search)');
    let config: unknown;
    let baseDir = process.cwd();
    if (args.config !== undefined) {
      config = await loadConfigFile(args.config);
      baseDir = dirname(resolve(args.config));
    } else if (rest === undefined) {
      // No command: the params of trials for a search, the grid of the flags' values, counted
      // before any is made (a grid past what one add takes is refused, not built).
      const template = sweepTemplate(paramFlags, ['true'], undefined);
      const count = Object.values(template.params).reduce((product, values) => product * values.length, 1);
      if (count > maxAddedJobs)
        throw new HyperctlError(
          'E_USAGE',
          `--param: ${count.toLocaleString('en-US')} trials; one batch add takes at most ${maxAddedJobs.toLocaleString('en-US')} (add them in parts)`,
        );
      config = { trials: [...generateJobs(template)].map((job) => job.params) };
    } else {
      if (rest.length === 0 || paramFlags.length === 0) throw new HyperctlError('E_USAGE', 'batch add: --param NAME=V1,V2,… needs the command after --');
      // The batch keeps its own name: the sweep's is left out.
      const { name: _name, ...template } = sweepTemplate(paramFlags, rest, undefined);
      config = template;
    }
    const added = await batchFrom(args, args.name).add(config, { baseDir });
    const trials = isTrials(config);
    if (args.json) printJson(trials ? { queued: added.map((params) => JSON.parse(params)) } : { added });
    else if (trials) process.stdout.write(`batch ${args.name}: queued ${added.length} trial(s): ${added.join(', ')}\n`);
    else process.stdout.write(`batch ${args.name}: added ${added.length} job(s): ${added.join(', ')}\n`);
    return exitCodes.ok;
  },
});

/** Whether what `batch add` sends are trials for a search (a list of params, or `{ trials }`), not jobs. */
function isTrials(config: unknown): boolean {
  return Array.isArray(config) || (typeof config === 'object' && config !== null && 'trials' in config);
}

/** The batches a command names: its first positional and any after it. */
function batchNames(args: { readonly name: string; readonly _: readonly unknown[] }): string[] {
  return args._.length > 0 ? args._.map(String) : [args.name];
}

const compare = defineCommand({
  meta: { name: 'compare', description: "line up a batch's jobs by params and metrics; several batches' with a batch column" },
  args: {
    name: { type: 'positional', required: true, description: 'batch name (more after it: their jobs together, with a batch column)' },
    sort: { type: 'string', description: 'metric or param to sort by (jobs without it come last)', valueHint: 'KEY' },
    desc: { type: 'boolean', description: 'sort from the largest' },
    top: { type: 'string', description: 'show only the first N jobs', valueHint: 'N' },
    where: { type: 'string', description: "only jobs where all hold, e.g. 'status=succeed,accuracy>0.9' (=, !=, <, <=, >, >=)", valueHint: 'CONDITIONS' },
    columns: { type: 'string', description: 'columns to show, comma-separated (default: name, status, varying params, metrics, duration)', valueHint: 'KEYS' },
    csv: { type: 'boolean', description: 'print CSV' },
    markdown: { type: 'boolean', description: 'print a Markdown table' },
    ...batchArgs,
  },
  async run({ args }): Promise<number> {
    if ([args.json, args.csv, args.markdown].filter(Boolean).length > 1) throw new HyperctlError('E_USAGE', 'choose one of --json, --csv and --markdown');
    const top = integerFlag('top', args.top, 1);
    const columns = args.columns
      ?.split(',')
      .map((c) => c.trim())
      .filter(Boolean);
    const options = {
      ...(args.sort ? { sort: args.sort } : {}),
      desc: Boolean(args.desc),
      ...(top !== undefined ? { top } : {}),
      ...(args.where ? { where: parseWhere(args.where) } : {}),
      ...(columns ? { columns } : {}),
    };
    const names = batchNames(args);
    const comparison =
      names.length > 1
        ? await compareBatches(names, { ...options, batchesDataDir: batchesDataDirFrom(args) })
        : await batchFrom(args, args.name).compare(options);
    if (args.json) printJson(comparisonJson(comparison));
    else if (args.csv) process.stdout.write(renderComparisonCsv(comparison));
    else
      process.stdout.write(
        args.markdown ? renderComparisonMarkdown(comparison) : renderComparisonTable(comparison, process.stdout.isTTY ? process.stdout.columns : undefined),
      );
    return exitCodes.ok;
  },
});

const best = defineCommand({
  meta: {
    name: 'best',
    description:
      'print the job with the best value of a metric, and its params; of several batches, the best among them; of a search of several objectives, its Pareto front',
  },
  args: {
    name: { type: 'positional', required: true, description: 'batch name (more after it: the best among them all)' },
    metric: { type: 'string', description: "the metric (default: the batch's search or early_stopping metric)", valueHint: 'NAME' },
    min: { type: 'boolean', description: "lowest is best (default: the batch's goal for the metric, else a guess from its name)" },
    max: { type: 'boolean', description: 'highest is best' },
    ...batchArgs,
  },
  async run({ args }): Promise<number> {
    if (args.min && args.max) throw new HyperctlError('E_USAGE', 'choose one of --min and --max');
    const goal = args.min ? 'min' : args.max ? 'max' : undefined;
    const names = batchNames(args);
    // A search of several objectives has a front for its best (of several: the front across them), unless one metric is asked for.
    const front =
      args.metric !== undefined || goal
        ? undefined
        : names.length > 1
          ? await frontAcrossBatches(names, { batchesDataDir: batchesDataDirFrom(args) })
          : await batchFrom(args, args.name).front();
    if (front) {
      if (args.json) printJson({ objectives: front.objectives.map(({ metric, goal }) => ({ metric, goal })), front: front.trials });
      else process.stdout.write(renderFront(front.objectives, front.trials));
      return exitCodes.ok;
    }
    const winner =
      names.length > 1
        ? await bestAcrossBatches(names, {
            ...(args.metric !== undefined ? { metric: args.metric } : {}),
            ...(goal ? { goal } : {}),
            batchesDataDir: batchesDataDirFrom(args),
          })
        : await batchFrom(args, args.name).best(args.metric, goal);
    if (!winner)
      throw new HyperctlError(
        'E_JOB_NOT_FOUND',
        `no job of ${names.length > 1 ? `batches ${names.join(', ')}` : `batch "${args.name}"`} succeeded with a numeric metric "${args.metric ?? 'of its objective'}"`,
      );
    const { among, ...found } = winner;
    const of = 'batch' in winner ? `${winner.batch} ` : '';
    if (args.json) printJson(found);
    else
      process.stdout.write(
        `${of}${winner.name}: ${winner.metric} = ${formatNumber(winner.value)} (best of ${among} succeeded jobs${of ? ` of ${names.length} batches` : ''} by ${goalSource({ metric: winner.metric, goal: winner.goal, from: winner.goalFrom })})\nparams: ${JSON.stringify(winner.params)}\n`,
      );
    return exitCodes.ok;
  },
});

const importance = defineCommand({
  meta: { name: 'importance', description: "which params matter: each param's share of a metric's variance (fANOVA over a random forest)" },
  args: {
    ...nameArg,
    metric: { type: 'string', description: "the metric (default: the batch's search or early_stopping metric)", valueHint: 'NAME' },
    ...batchArgs,
  },
  async run({ args }): Promise<number> {
    const found = await batchFrom(args, args.name).importance(args.metric !== undefined ? { metric: args.metric } : {});
    if (args.json) {
      printJson(found);
      return exitCodes.ok;
    }
    const width = Math.max(5, ...found.params.map((p) => p.param.length));
    const lines = found.params.map(({ param, importance: share }) => {
      const bar = process.stdout.isTTY ? ` ${'█'.repeat(Math.round(share * 40))}` : '';
      return `${param.padEnd(width)}  ${`${(share * 100).toFixed(1)}%`.padStart(6)}${bar}`;
    });
    process.stdout.write(
      `${found.metric}: share of its variance each param explains, over ${found.among} succeeded jobs\n${'PARAM'.padEnd(width)}   SHARE\n${lines.join('\n')}\n`,
    );
    return exitCodes.ok;
  },
});

const dashboard = defineCommand({
  meta: { name: 'dashboard', description: "print the address of a running batch's dashboard (it holds the batch's token: keep it private)" },
  args: { ...nameArg, ...batchArgs },
  async run({ args }): Promise<number> {
    const batch = batchFrom(args, args.name);
    const url = batch.dashboard();
    if (!url) {
      const { status } = await batch.info();
      throw new HyperctlError(
        'E_NOT_RUNNING',
        `batch "${args.name}" is not served (it is ${status}); "hyperctl batch serve ${args.name}" serves its dashboard from disk`,
      );
    }
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
    port: { type: 'string', description: 'port, 0 for any free one (default: 8060, or any free one when it is taken)', valueHint: 'N' },
    ...batchesDataDirArg,
  },
  async run({ args, data }): Promise<number> {
    const port = integerFlag('port', args.port, 0, 65_535);
    const controller = new AbortController();
    (data as CommandData).signals.handle(() => controller.abort());
    await batchFrom(args, args.name).serve({
      host: args.host ?? 'localhost',
      ...(port !== undefined ? { port } : {}),
      signal: controller.signal,
      onServing: (url) =>
        process.stderr.write(`serving batch ${args.name} (from disk) at ${url}\nthe address holds the batch's token: keep it private; Ctrl-C to stop\n`),
    });
    return exitCodes.ok;
  },
});

export const batchCommand = defineCommand({
  meta: commandMeta.batch,
  subCommands: { list, show, compare, best, importance, dashboard, serve, stop, update, pause, resume, add },
});
