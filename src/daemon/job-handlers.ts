import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as v from 'valibot';
import { toReport } from '../metrics/metrics-line.js';
import { type JobResult, withLiveMetrics } from '../state/job-result.js';
import { unknownJob } from '../text/closest-names.js';
import { toJobInfo } from '../wire/protocol.js';
import { readJsonBody, sendBodyError, sendError, sendJson } from './http-util.js';
import { anObject, bodyOf, queryOf, steered, wholeInQuery } from './request-body.js';
import type { RouteContext } from './route-table.js';

const logsQuery = v.object({ offset: v.optional(wholeInQuery), length: v.optional(wholeInQuery) });
const priorityBody = v.pipe(
  anObject('{"priority": 5}'),
  v.union(
    [v.strictObject({ priority: v.pipe(v.number(), v.integer('expected a whole number')) }), v.strictObject({ first: v.literal(true) })],
    'expected {"priority": N} or {"first": true}',
  ),
);

type JobHandler = (ctx: RouteContext, job: JobResult, params: Readonly<Record<string, string>>) => Promise<void> | void;

/** A handler of one job's route: the job named by the path, or 404 naming the closest names. */
export function forJob(handler: JobHandler): (ctx: RouteContext, params: Readonly<Record<string, string>>) => Promise<void> | void {
  return (ctx, params) => {
    const job = ctx.view.job(params.name!);
    if (!job) return sendError(ctx.res, 404, 'E_JOB_NOT_FOUND', unknownJob(ctx.view.spec.name, params.name!, [...ctx.view.states()]).message);
    return handler(ctx, job, params);
  };
}

/** One job; a running one with the metrics it has reported so far. */
export async function sendJob({ res, view }: RouteContext, job: JobResult): Promise<void> {
  sendJson(res, 200, toJobInfo(await withLiveMetrics(job, () => view.metrics(job.name))));
}

export async function sendMetrics({ res, view }: RouteContext, job: JobResult): Promise<void> {
  sendJson(res, 200, (await view.metrics(job.name)) ?? { last: {}, history: [] });
}

export async function postMetrics({ req, res, view }: RouteContext, job: JobResult): Promise<void> {
  let body: unknown;
  try {
    body = await readJsonBody(req);
  } catch (error) {
    return sendBodyError(res, error);
  }
  const report = toReport(body);
  if (!report)
    return sendError(res, 400, 'E_BAD_REQUEST', 'request body: expected a JSON object of metric names to numbers or strings, with an optional "_step" number');
  if (job.status !== 'running')
    return sendError(res, 409, 'E_NOT_RUNNING', `job ${job.name} is not running (status ${job.status}); metrics are taken while it runs`);
  await view.postMetrics(job.name, report);
  sendJson(res, 202, { name: job.name, accepted: Object.keys(report.values) });
}

export function killJob({ res, view }: RouteContext, job: JobResult): void {
  const outcome = view.killJob(job.name);
  if (outcome === 'killed') sendJson(res, 202, { name: job.name, killing: true });
  else sendError(res, 409, 'E_NOT_RUNNING', `job ${job.name} is not running (status ${job.status})`);
}

export function retryJob({ res, view }: RouteContext, job: JobResult): Promise<void> {
  return steered(res, () => ({ retried: view.steer().retry([job.name]) }));
}

export async function prioritizeJob({ req, res, view }: RouteContext, job: JobResult): Promise<void> {
  const body = await bodyOf(req, res, priorityBody);
  if (!body) return;
  await steered(res, () => ({ name: job.name, priority: view.steer().prioritize(job.name, 'first' in body ? 'first' : body.priority) }));
}

export async function sendLogs({ res, query }: RouteContext, job: JobResult, params: Readonly<Record<string, string>>): Promise<void> {
  const range = queryOf(query, res, logsQuery);
  if (!range) return;
  const file = join(job.dataDir, params.stream!);
  const size = await stat(file).then(
    (s) => s.size,
    () => 0,
  );
  const start = Math.min(range.offset ?? 0, size);
  const end = range.length === undefined ? size : Math.min(size, start + range.length);
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': end - start,
    'x-log-size': size,
    'x-job-status': job.status,
    'cache-control': 'no-store',
  });
  if (end === start) return void res.end();
  createReadStream(file, { start, end: end - 1 })
    .on('error', () => res.destroy())
    .pipe(res);
}
