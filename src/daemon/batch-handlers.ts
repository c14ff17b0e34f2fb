import * as v from 'valibot';
import type { JobStatus } from '../batch/types.js';
import type { BatchEvent } from '../run/events.js';
import type { RunView } from '../run/run-view.js';
import { batchStatus } from '../state/batch-status.js';
import { withLiveMetrics } from '../state/job-result.js';
import type { JobState } from '../state/job-state.js';
import { type BatchInfo, jobStatuses, objectiveOf, toJobInfo } from '../wire/protocol.js';
import { dashboardCsp, dashboardPage } from './dashboard-page.js';
import { EventStream } from './event-stream.js';
import { sendJson, streamJsonArray } from './http-util.js';
import { anObject, bodyOf, queryOf, steered, wholeInQuery } from './request-body.js';
import type { RouteContext } from './route-table.js';

/** The largest body `batch add` takes: its most jobs (or trials), each with a kilobyte and a half of params and command. */
const maxAddBodyBytes = 16 * 1024 * 1024;

const jobsQuery = v.object({ status: v.optional(v.picklist(jobStatuses)), offset: v.optional(wholeInQuery), limit: v.optional(wholeInQuery) });
const killBody = v.optional(v.pipe(anObject('{"kill": true}'), v.strictObject({ kill: v.optional(v.boolean()) })));
const positive = v.pipe(v.number(), v.integer('expected a whole number'), v.minValue(1, 'expected at least 1'));
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

/** The batch as the API shows it. */
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

export function sendBatch({ res, view }: RouteContext): void {
  sendJson(res, 200, batchInfo(view));
}

export async function stopBatch({ req, res, view }: RouteContext): Promise<void> {
  const body = await bodyOf(req, res, killBody);
  if (body === undefined && res.headersSent) return;
  const kill = body?.kill ?? false;
  view.stop(kill);
  // After the last job this ends the daemon's serving, which is all that is left of the run.
  sendJson(res, 202, { name: view.spec.name, stopping: true, kill });
}

export async function updateBatch({ req, res, view }: RouteContext): Promise<void> {
  const body = await bodyOf(req, res, updateBody);
  if (!body) return;
  await steered(res, () => {
    view.steer().update({
      ...(body.parallelism !== undefined ? { parallelism: body.parallelism } : {}),
      ...(body.machine !== undefined ? { host: body.machine } : {}),
      ...(body.max_trials !== undefined ? { maxTrials: body.max_trials } : {}),
    });
    return batchInfo(view);
  });
}

export async function pauseBatch({ req, res, view }: RouteContext): Promise<void> {
  const body = await bodyOf(req, res, killBody);
  if (body === undefined && res.headersSent) return;
  await steered(res, () => {
    view.steer().pause(body?.kill ?? false);
    return batchInfo(view);
  });
}

export function resumeBatch({ res, view }: RouteContext): Promise<void> {
  return steered(res, () => {
    view.steer().resume();
    return batchInfo(view);
  });
}

export function retryFailed({ res, view }: RouteContext): Promise<void> {
  return steered(res, () => ({ retried: view.steer().retry('failed') }));
}

export async function addJobs({ req, res, view }: RouteContext): Promise<void> {
  // Up to the most jobs (or trials) an add takes, each with params of its own: not a small body.
  const body = await bodyOf(req, res, addBody, maxAddBodyBytes);
  if (!body) return;
  // Relative paths in the jobs are the client's: without its folder, the batch's own folder.
  await steered(res, async () => ({ added: await view.steer().add(body.config, body.base_dir ?? view.spec.dataDir) }));
}

export async function listJobs({ req, res, view, query }: RouteContext): Promise<void> {
  const parsed = queryOf(query, res, jobsQuery);
  if (!parsed) return;
  const { status, offset = 0, limit } = parsed;
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
export function sendDashboard({ res }: RouteContext): void {
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

export function streamEvents({ req, res, view, streams }: RouteContext): void {
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
