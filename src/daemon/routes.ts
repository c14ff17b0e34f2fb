import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import * as v from 'valibot';
import type { BatchEvent } from '../run/events.js';
import { batchStatus } from '../state/batch-status.js';
import { type JobResult, withLiveMetrics } from '../state/job-result.js';
import type { JobState } from '../state/job-state.js';
import type { JobStatus } from '../batch/types.js';
import type { RunView } from '../run/run-view.js';
import { toReport } from '../metrics/metrics-line.js';
import { unknownJob } from '../text/closest-names.js';
import { isHyperctlError } from '../errors.js';
import { dashboardCsp, dashboardPage } from './dashboard-page.js';
import { EventStream } from './event-stream.js';
import { openApiDocument } from './openapi.js';
import { objectiveOf, toJobInfo, type BatchInfo } from '../wire/protocol.js';
import { readJsonBody, sendBodyError, sendError, sendJson, streamJsonArray } from './http-util.js';

const statuses = ['init', 'running', 'succeed', 'failed', 'killed', 'pruned'] as const;
const whole = v.pipe(v.string(), v.regex(/^\d+$/, 'expected a whole number'), v.transform(Number));
const jobsQuery = v.object({ status: v.optional(v.picklist(statuses)), offset: v.optional(whole), limit: v.optional(whole) });
const logsQuery = v.object({ offset: v.optional(whole), length: v.optional(whole) });
const stopBody = v.optional(
  v.pipe(
    v.custom<object>((input) => typeof input === 'object' && input !== null && !Array.isArray(input), 'expected an object such as {"kill": true}'),
    v.strictObject({ kill: v.optional(v.boolean()) }),
  ),
);

const positive = v.pipe(v.number(), v.integer('expected a whole number'), v.minValue(1, 'expected at least 1'));
const anObject = (example: string) =>
  v.custom<object>((input) => typeof input === 'object' && input !== null && !Array.isArray(input), `expected an object such as ${example}`);
const updateBody = v.pipe(
  anObject('{"parallelism": 4}'),
  v.pipe(
    v.strictObject({ parallelism: v.optional(positive), machine: v.optional(v.pipe(v.string(), v.minLength(1))), max_trials: v.optional(positive) }),
    v.check((body) => body.parallelism !== undefined || body.max_trials !== undefined, 'expected parallelism or max_trials'),
    v.check((body) => body.machine === undefined || body.parallelism !== undefined, 'machine: goes with parallelism'),
  ),
);
const addBody = v.pipe(
  anObject('{"config": {"jobs": […]}, "base_dir": "/path"}'),
  v.strictObject({ config: v.unknown(), base_dir: v.optional(v.pipe(v.string(), v.minLength(1))) }),
);
const priorityBody = v.pipe(
  anObject('{"priority": 5}'),
  v.union(
    [v.strictObject({ priority: v.pipe(v.number(), v.integer('expected a whole number')) }), v.strictObject({ first: v.literal(true) })],
    'expected {"priority": N} or {"first": true}',
  ),
);

export interface RouteContext {
  readonly view: RunView;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** Path segments after the token, percent-decoded one by one. */
  readonly path: readonly string[];
  readonly query: URLSearchParams;
  /** Where SSE streams register, so the daemon can end them on close. */
  readonly streams: Set<ServerResponse>;
}

/** Serves one authenticated request. */
export async function route(ctx: RouteContext): Promise<void> {
  const { req, res, path } = ctx;
  const method = req.method ?? 'GET';
  const [a, b, c, d, e, ...rest] = path;
  if (a === 'hyperctl') return compatRoute(ctx, method, path.slice(1));
  if (a === undefined && method === 'GET') return sendDashboard(res);
  if (a !== 'api' || b !== 'v1') return sendError(res, 404, 'E_NOT_FOUND', `no route ${method} /${path.join('/')}`);
  if (c === 'batch' && d === undefined && method === 'GET') return sendJson(res, 200, batchInfo(ctx.view));
  if (c === 'batch' && d === 'stop' && e === undefined && method === 'POST') return stopBatch(ctx);
  if (c === 'batch' && d === 'jobs' && e === undefined && method === 'POST') return addJobs(ctx);
  if (c === 'batch' && e === undefined && method === 'POST' && (d === 'update' || d === 'pause' || d === 'resume' || d === 'retry-failed'))
    return steerBatch(ctx, d);
  if (c === 'openapi.json' && d === undefined && method === 'GET') return sendJson(res, 200, openApiDocument);
  if (c === 'events' && d === undefined && method === 'GET') return streamEvents(ctx);
  if (c === 'jobs' && d === undefined && method === 'GET') return listJobs(ctx);
  if (c === 'jobs' && d !== undefined) {
    const job = ctx.view.job(d);
    if (!job) return sendError(res, 404, 'E_JOB_NOT_FOUND', unknownJob(ctx.view.spec.name, d, [...ctx.view.states()]).message);
    if (e === undefined && method === 'GET') return sendJob(ctx, job);
    if (e === 'metrics' && rest.length === 0 && method === 'GET') return sendJson(res, 200, (await ctx.view.metrics(job.name)) ?? { last: {}, history: [] });
    if (e === 'metrics' && rest.length === 0 && method === 'POST') return postMetrics(ctx, job);
    if (e === 'kill' && rest.length === 0 && method === 'POST') return killJob(ctx, job);
    if ((e === 'retry' || e === 'priority') && rest.length === 0 && method === 'POST') return steerJob(ctx, job, e);
    if (e === 'logs' && rest.length === 1 && (rest[0] === 'stdout' || rest[0] === 'stderr') && method === 'GET') return sendLogs(ctx, job, rest[0]);
  }
  return sendError(res, 404, 'E_NOT_FOUND', `no route ${method} /${path.join('/')}`);
}

export function batchInfo(view: RunView): BatchInfo {
  const counts = view.counts();
  return {
    name: view.spec.name,
    status: batchStatus({ active: view.active, counts, started: true, interrupted: false }),
    counts,
    startedAt: new Date(view.startedAt).toISOString(),
    elapsedMs: (view.endedAt ?? Date.now()) - view.startedAt,
    dataDir: view.spec.dataDir,
    ...(view.readOnly ? { readOnly: true } : {}),
    ...(view.pausedAt !== undefined && view.active ? { pausedAt: new Date(view.pausedAt).toISOString() } : {}),
    ...objectiveOf(view.spec, view.searchProgress()),
  };
}

async function stopBatch({ req, res, view }: RouteContext): Promise<void> {
  let body: unknown;
  try {
    body = await readJsonBody(req);
  } catch (error) {
    return sendBodyError(res, error);
  }
  const parsed = v.safeParse(stopBody, body);
  if (!parsed.success) return sendError(res, 400, 'E_BAD_REQUEST', `request body: ${parsed.issues[0].message}`);
  const kill = parsed.output?.kill ?? false;
  view.stop(kill);
  // After the last job this ends the daemon's serving, which is all that is left of the run.
  sendJson(res, 202, { name: view.spec.name, stopping: true, kill });
}

/** Reads a request's JSON body against `schema`; undefined (the answer sent) when it does not fit. */
async function bodyOf<T extends v.GenericSchema>(req: IncomingMessage, res: ServerResponse, schema: T): Promise<v.InferOutput<T> | undefined> {
  let body: unknown;
  try {
    body = await readJsonBody(req);
  } catch (error) {
    sendBodyError(res, error);
    return undefined;
  }
  const parsed = v.safeParse(schema, body);
  if (parsed.success) return parsed.output;
  const key = parsed.issues[0].path?.map((item) => item.key).join('.');
  sendError(res, 400, 'E_BAD_REQUEST', `request body${key ? `.${key}` : ''}: ${parsed.issues[0].message}`);
  return undefined;
}

/** Answers a steering request with what it did, or its refusal with the status its code means. */
async function steered(res: ServerResponse, change: () => unknown): Promise<void> {
  try {
    sendJson(res, 200, await change());
  } catch (error) {
    if (!isHyperctlError(error)) throw error;
    const status =
      ({ E_NOT_RUNNING: 409, E_CONFLICT: 409, E_JOB_NOT_FOUND: 404, E_USAGE: 400, E_CONFIG_INVALID: 400, E_TEMPLATE_INVALID: 400 } as Record<string, number>)[
        error.code
      ] ?? 500;
    sendError(res, status, error.code, error.message);
  }
}

async function steerBatch(ctx: RouteContext, action: 'update' | 'pause' | 'resume' | 'retry-failed'): Promise<void> {
  const { req, res, view } = ctx;
  if (action === 'update') {
    const body = await bodyOf(req, res, updateBody);
    if (!body) return;
    return steered(res, () => {
      view.steer().update({
        ...(body.parallelism !== undefined ? { parallelism: body.parallelism } : {}),
        ...(body.machine !== undefined ? { host: body.machine } : {}),
        ...(body.max_trials !== undefined ? { maxTrials: body.max_trials } : {}),
      });
      return batchInfo(view);
    });
  }
  if (action === 'pause') {
    const body = await bodyOf(req, res, stopBody);
    if (body === undefined && res.headersSent) return;
    return steered(res, () => {
      view.steer().pause(body?.kill ?? false);
      return batchInfo(view);
    });
  }
  if (action === 'resume')
    return steered(res, () => {
      view.steer().resume();
      return batchInfo(view);
    });
  return steered(res, () => ({ retried: view.steer().retry('failed') }));
}

async function addJobs({ req, res, view }: RouteContext): Promise<void> {
  const body = await bodyOf(req, res, addBody);
  if (!body) return;
  // Relative paths in the jobs are the client's: without its folder, the batch's own folder.
  await steered(res, async () => ({ added: await view.steer().add(body.config, body.base_dir ?? view.spec.dataDir) }));
}

async function steerJob(ctx: RouteContext, job: JobResult, action: 'retry' | 'priority'): Promise<void> {
  const { req, res, view } = ctx;
  if (action === 'retry') return steered(res, () => ({ retried: view.steer().retry([job.name]) }));
  const body = await bodyOf(req, res, priorityBody);
  if (!body) return;
  await steered(res, () => ({ name: job.name, priority: view.steer().prioritize(job.name, 'first' in body ? 'first' : body.priority) }));
}

async function listJobs({ req, res, view, query }: RouteContext): Promise<void> {
  const parsed = v.safeParse(jobsQuery, Object.fromEntries(query));
  if (!parsed.success) return sendError(res, 400, 'E_BAD_REQUEST', `${parsed.issues[0].path?.[0]?.key ?? 'query'}: ${parsed.issues[0].message}`);
  const { status, offset = 0, limit } = parsed.output;
  const counts = view.counts();
  const total = status ? counts[status] : counts.total;
  const count = Math.max(0, Math.min(total - offset, limit ?? Number.POSITIVE_INFINITY));
  const page = pageOf(view.states(), status, offset, count);
  // Running jobs are few (as many as there are slots): their live metrics are worth a look each;
  // the others are made into results as they are written, a chunk at a time.
  const info = (job: JobState) =>
    job.status === 'running' ? withLiveMetrics(view.result(job), () => view.metrics(job.name)).then(toJobInfo) : toJobInfo(view.result(job));
  await streamJsonArray(req, res, `{"total":${total},"offset":${offset},"jobs":`, page, info, '}', count);
}

/** The jobs of a status (any, without one) from `offset` on, at most `limit` of them, as they are read. */
function* pageOf(states: Iterable<JobState>, status: JobStatus | undefined, offset: number, limit: number): Generator<JobState> {
  if (limit <= 0) return;
  let seen = 0;
  let given = 0;
  for (const job of states) {
    if (status !== undefined && job.status !== status) continue;
    if (seen++ < offset) continue;
    yield job;
    if (++given >= limit) return;
  }
}

/** The dashboard page; its address holds the token, which must not leak through a Referer. */
function sendDashboard(res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(dashboardPage),
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'content-security-policy': dashboardCsp,
    'x-content-type-options': 'nosniff',
  });
  res.end(dashboardPage);
}

/** One job; a running one with the metrics it has reported so far. */
async function sendJob({ res, view }: RouteContext, job: JobResult): Promise<void> {
  sendJson(res, 200, toJobInfo(await withLiveMetrics(job, () => view.metrics(job.name))));
}

async function postMetrics({ req, res, view }: RouteContext, job: JobResult): Promise<void> {
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

function killJob({ res, view }: RouteContext, job: JobResult): void {
  const outcome = view.killJob(job.name);
  if (outcome === 'killed') sendJson(res, 202, { name: job.name, killing: true });
  else sendError(res, 409, 'E_NOT_RUNNING', `job ${job.name} is not running (status ${job.status})`);
}

async function sendLogs({ res, query }: RouteContext, job: JobResult, stream: 'stdout' | 'stderr'): Promise<void> {
  const parsed = v.safeParse(logsQuery, Object.fromEntries(query));
  if (!parsed.success) return sendError(res, 400, 'E_BAD_REQUEST', `${parsed.issues[0].path?.[0]?.key ?? 'query'}: ${parsed.issues[0].message}`);
  const file = join(job.dataDir, stream);
  const size = await stat(file).then(
    (s) => s.size,
    () => 0,
  );
  const start = Math.min(parsed.output.offset ?? 0, size);
  const end = parsed.output.length === undefined ? size : Math.min(size, start + parsed.output.length);
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

function streamEvents({ req, res, view, streams }: RouteContext): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
  const stream = new EventStream(res);
  const send = (type: string, data: unknown) => stream.send(type, data);
  send('batch', batchInfo(view));
  const unsubscribe = view.subscribe((event: BatchEvent) => {
    if (event.type === 'job:start') send(event.type, { job: event.job, host: event.host, at: new Date(event.at).toISOString() });
    else if (event.type === 'job:exit') send(event.type, toJobInfo(event.job));
    else if (event.type === 'job:metrics') stream.sendMetrics(event.job, { job: event.job, step: event.step, values: event.values });
    else if (event.type === 'batch:end') send(event.type, batchInfo(view));
    else if (event.type === 'batch:steer') send(event.type, { change: event.change, ...batchInfo(view) });
  });
  const heartbeat = setInterval(() => stream.keepAlive(), 15_000).unref();
  streams.add(res);
  const done = () => {
    clearInterval(heartbeat);
    unsubscribe();
    streams.delete(res);
  };
  req.on('close', done);
  res.on('close', done);
}

/** The original tool's routes, answered as its job-side client expects: `{ code, data }`. */
async function compatRoute({ req, res, view }: RouteContext, method: string, path: readonly string[]): Promise<void> {
  const compatJob = (job: JobResult) => {
    const spec = view.jobSpec(job.name);
    return {
      name: job.name,
      params: job.params,
      status: job.status,
      resource: spec?.resource ?? null,
      working_dir: spec?.workingDir ?? null,
      data_dir: job.dataDir,
      assets: [],
    };
  };
  const fail = (status: number, data: unknown) => sendJson(res, status, { code: -1, data });
  if (path.length === 0 && method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    return void res.end('Welcome to hyperctl.');
  }
  if (path[0] !== 'api' || path[1] !== 'job') return fail(404, { msg: 'resource not found' });
  const [, , name, operation, ...rest] = path;
  if (name === undefined && method === 'GET')
    return streamJsonArray(req, res, '{"code":0,"data":{"jobs":', view.states(), (job) => compatJob(view.result(job)), '}}', view.counts().total);
  const job = name === undefined ? undefined : view.job(name);
  if (!job) return fail(404, { msg: 'resource not found' });
  if (operation === undefined && method === 'GET') return sendJson(res, 200, { code: 0, data: compatJob(job) });
  if (operation === 'kill' && rest.length === 0 && method === 'POST') {
    if (view.killJob(job.name) !== 'killed') return fail(409, `job ${job.name} is not running but ${job.status}`);
    return sendJson(res, 200, { code: 0, data: { msg: `${job.name} killed` } });
  }
  return fail(404, { msg: 'resource not found' });
}
