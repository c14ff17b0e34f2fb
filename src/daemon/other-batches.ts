import { dirname } from 'node:path';
import { listBatches, readBatch } from '../store/read-batch.js';
import { sendError, sendJson } from './http-util.js';
import type { RouteContext } from './route-table.js';

/*
 * The other batches in the served batch's batches folder, read from their files, for the
 * dashboard to overlay one on this one: their names, and one's jobs. Only a folder that holds a
 * batch is read; a name is taken only as one of those listed.
 */

function batchesDir(ctx: RouteContext): string {
  return dirname(ctx.view.spec.dataDir);
}

/** The other batches: name, status, counts and objective. */
export function sendOtherBatches(ctx: RouteContext): void {
  const own = ctx.view.spec.name;
  const batches = listBatches(batchesDir(ctx))
    .filter((batch) => batch.name !== own)
    .map(({ name, status, counts, ranking }) => ({ name, status, counts, ...(ranking.objective ? { objective: ranking.objective } : {}) }));
  sendJson(ctx.res, 200, { batches });
}

/** Another batch's jobs, as its files have them now. */
export function sendOtherBatchJobs(ctx: RouteContext, params: Readonly<Record<string, string>>): void {
  const name = params.name!;
  const dir = batchesDir(ctx);
  if (name === ctx.view.spec.name || !listBatches(dir).some((batch) => batch.name === name))
    sendError(ctx.res, 404, 'E_BATCH_NOT_FOUND', `no other batch ${JSON.stringify(name.slice(0, 200))} in this batch's folder`);
  else sendJson(ctx.res, 200, { jobs: readBatch(dir, name).jobs });
}
