import { defineCommand } from 'citty';
import { listBatches, readBatch } from '../../src/store/read-batch.js';
import { batchesDataDirArg, batchesDataDirFrom, jsonArg, printJson } from '../common-args.js';
import { exitCodes } from '../exit-codes.js';
import { controllableBatch, liveBatch } from '../live-batch.js';
import { renderBatchList, renderBatchSummary, renderJobTable, storedBatchInfo, storedJobInfos } from '../render/batch-views.js';

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

export const batchCommand = defineCommand({
  meta: { name: 'batch', description: 'inspect and control batches' },
  subCommands: { list, show, stop },
});
