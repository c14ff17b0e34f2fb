import { defineCommand } from 'citty';
import { listBatches, readBatch } from '../../src/store/read-batch.js';
import { batchesDataDirArg, batchesDataDirFrom, jsonArg, printJson } from '../common-args.js';
import { exitCodes } from '../exit-codes.js';
import { batchJson, jobJson, renderBatchList, renderBatchSummary, renderJobTable } from '../render/batch-views.js';

const list = defineCommand({
  meta: { name: 'list', description: 'list every batch with its status and job counts' },
  args: { ...batchesDataDirArg, ...jsonArg },
  run({ args }): number {
    const batches = listBatches(batchesDataDirFrom(args));
    if (args.json) printJson(batches.map(batchJson));
    else process.stdout.write(batches.length ? renderBatchList(batches) : `no batches in ${batchesDataDirFrom(args)}\n`);
    return exitCodes.ok;
  },
});

const show = defineCommand({
  meta: { name: 'show', description: "show a batch's summary and its jobs" },
  args: { name: { type: 'positional', required: true, description: 'batch name' }, ...batchesDataDirArg, ...jsonArg },
  run({ args }): number {
    const batch = readBatch(batchesDataDirFrom(args), args.name);
    if (args.json) printJson({ ...batchJson(batch), jobs: batch.jobs.map(jobJson) });
    else process.stdout.write(`${renderBatchSummary(batch)}\n${renderJobTable(batch.jobs)}`);
    return exitCodes.ok;
  },
});

export const batchCommand = defineCommand({
  meta: { name: 'batch', description: 'inspect batches' },
  subCommands: { list, show },
});
