import { addJobs, listJobs, pauseBatch, resumeBatch, retryFailed, sendBatch, sendDashboard, stopBatch, streamEvents, updateBatch } from './batch-handlers.js';
import { compatRoute } from './compat-routes.js';
import { sendError, sendJson } from './http-util.js';
import { forJob, killJob, postMetrics, prioritizeJob, retryJob, sendJob, sendLogs, sendMetrics } from './job-handlers.js';
import { bodyDoc, errorDoc, jobNameDoc, jsonDoc, openApiDocumentOf } from './openapi.js';
import { jobStatuses } from '../wire/protocol.js';
import { sendOtherBatchJobs, sendOtherBatches } from './other-batches.js';
import { openApiPaths, type Route, type RouteContext, routeMatcher } from './route-table.js';

const killDoc = bodyDoc({ type: 'object', additionalProperties: false, properties: { kill: { type: 'boolean' } } }, false);
const offsetDoc = (name: string) => ({ name, in: 'query', schema: { type: 'integer', minimum: 0 } }) as const;

/** The daemon's native API (`/api/v1`): each route's match, its OpenAPI description and its handler. */
const routes: readonly Route[] = [
  { method: 'GET', path: '/api/v1/batch', doc: { summary: 'batch summary', responses: { 200: jsonDoc('Batch'), 401: errorDoc } }, handle: sendBatch },
  {
    method: 'POST',
    path: '/api/v1/batch/stop',
    doc: {
      summary: 'stop starting jobs (with kill, also kill the running ones), then end the run and stop serving',
      requestBody: killDoc,
      responses: { 202: { description: 'stopping' }, 400: errorDoc, 401: errorDoc, 413: errorDoc },
    },
    handle: stopBatch,
  },
  {
    method: 'POST',
    path: '/api/v1/batch/update',
    doc: {
      summary: "change the running batch's parallelism (with machine, that machine's slots) or a search's trial budget; journalled, a re-run keeps it",
      requestBody: bodyDoc({
        type: 'object',
        additionalProperties: false,
        properties: { parallelism: { type: 'integer', minimum: 1 }, machine: { type: 'string' }, max_trials: { type: 'integer', minimum: 1 } },
      }),
      responses: { 200: jsonDoc('Batch'), 400: errorDoc, 401: errorDoc, 409: errorDoc, 413: errorDoc },
    },
    handle: updateBatch,
  },
  {
    method: 'POST',
    path: '/api/v1/batch/pause',
    doc: {
      summary: 'start no job until resumed (with kill, kill the running ones, which start again on resume)',
      requestBody: killDoc,
      responses: { 200: jsonDoc('Batch'), 400: errorDoc, 401: errorDoc, 409: errorDoc, 413: errorDoc },
    },
    handle: pauseBatch,
  },
  {
    method: 'POST',
    path: '/api/v1/batch/resume',
    doc: { summary: 'start jobs again after a pause', responses: { 200: jsonDoc('Batch'), 401: errorDoc, 409: errorDoc } },
    handle: resumeBatch,
  },
  {
    method: 'POST',
    path: '/api/v1/batch/jobs',
    doc: {
      summary:
        'add jobs to the running batch: config holds them as a batch config does (jobs, job_defaults) or is a job template; relative paths against base_dir; they run after those waiting, and a later run keeps them. For a search, config is {"trials": [params, …]}: trials of exactly those params (checked against the space, counted in max_trials), proposed before any drawn one; added holds each one\'s params as JSON',
      requestBody: bodyDoc({
        type: 'object',
        additionalProperties: false,
        required: ['config'],
        properties: { config: { type: ['object', 'array'] }, base_dir: { type: 'string' } },
      }),
      responses: {
        200: {
          description: "the jobs added (a search: each queued trial's params as JSON)",
          content: {
            'application/json': { schema: { type: 'object', required: ['added'], properties: { added: { type: 'array', items: { type: 'string' } } } } },
          },
        },
        400: errorDoc,
        401: errorDoc,
        409: errorDoc,
        413: errorDoc,
      },
    },
    handle: addJobs,
  },
  {
    method: 'POST',
    path: '/api/v1/batch/retry-failed',
    doc: { summary: 'run every failed job again, after those waiting', responses: { 200: jsonDoc('Retried'), 401: errorDoc, 409: errorDoc } },
    handle: retryFailed,
  },
  {
    method: 'GET',
    path: '/api/v1/jobs',
    doc: {
      summary: 'jobs, optionally by status, paged',
      parameters: [{ name: 'status', in: 'query', schema: { enum: jobStatuses } }, offsetDoc('offset'), offsetDoc('limit')],
      responses: { 200: jsonDoc('JobPage'), 400: errorDoc, 401: errorDoc },
    },
    handle: listJobs,
  },
  {
    method: 'GET',
    path: '/api/v1/batches',
    doc: {
      summary: "the other batches in this batch's batches folder, read from their files (for the dashboard to overlay one)",
      responses: {
        200: {
          description: 'their names, statuses, counts and objectives',
          content: {
            'application/json': { schema: { type: 'object', required: ['batches'], properties: { batches: { type: 'array', items: { type: 'object' } } } } },
          },
        },
        401: errorDoc,
      },
    },
    handle: sendOtherBatches,
  },
  {
    method: 'GET',
    path: '/api/v1/batches/{name}/jobs',
    doc: {
      summary: 'the jobs of another batch of the same folder, as its files have them',
      parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
      responses: {
        200: {
          description: 'its jobs',
          content: {
            'application/json': {
              schema: { type: 'object', required: ['jobs'], properties: { jobs: { type: 'array', items: { $ref: '#/components/schemas/Job' } } } },
            },
          },
        },
        401: errorDoc,
        404: errorDoc,
      },
    },
    handle: sendOtherBatchJobs,
  },
  {
    method: 'GET',
    path: '/api/v1/jobs/{name}',
    doc: { summary: 'one job', parameters: [jobNameDoc], responses: { 200: jsonDoc('Job'), 401: errorDoc, 404: errorDoc } },
    handle: forJob(sendJob),
  },
  {
    method: 'GET',
    path: '/api/v1/jobs/{name}/metrics',
    doc: {
      summary: "a job's metrics: the last value of each, and every report with its step",
      parameters: [jobNameDoc],
      responses: { 200: jsonDoc('JobMetrics'), 401: errorDoc, 404: errorDoc },
    },
    handle: forJob(sendMetrics),
  },
  {
    method: 'POST',
    path: '/api/v1/jobs/{name}/metrics',
    doc: {
      summary: 'report metrics for a running job (the job itself, through its portal)',
      parameters: [jobNameDoc],
      requestBody: bodyDoc({ type: 'object', additionalProperties: { type: ['number', 'string'] }, description: '"_step" (a number) names the step' }),
      responses: { 202: { description: 'recorded' }, 400: errorDoc, 401: errorDoc, 404: errorDoc, 409: errorDoc, 413: errorDoc },
    },
    handle: forJob(postMetrics),
  },
  {
    method: 'POST',
    path: '/api/v1/jobs/{name}/kill',
    doc: {
      summary: "kill a running job's process group",
      parameters: [jobNameDoc],
      responses: { 202: { description: 'killing' }, 401: errorDoc, 404: errorDoc, 409: errorDoc },
    },
    handle: forJob(killJob),
  },
  {
    method: 'POST',
    path: '/api/v1/jobs/{name}/retry',
    doc: {
      summary: 'run an ended job again, after those waiting',
      parameters: [jobNameDoc],
      responses: { 200: jsonDoc('Retried'), 400: errorDoc, 401: errorDoc, 404: errorDoc, 409: errorDoc },
    },
    handle: forJob(retryJob),
  },
  {
    method: 'POST',
    path: '/api/v1/jobs/{name}/priority',
    doc: {
      summary: "a waiting job's priority: higher starts first (default 0); {first: true} puts it above every other",
      parameters: [jobNameDoc],
      requestBody: bodyDoc({
        oneOf: [
          { type: 'object', additionalProperties: false, required: ['priority'], properties: { priority: { type: 'integer' } } },
          { type: 'object', additionalProperties: false, required: ['first'], properties: { first: { const: true } } },
        ],
      }),
      responses: {
        200: {
          description: 'the priority given',
          content: {
            'application/json': {
              schema: { type: 'object', required: ['name', 'priority'], properties: { name: { type: 'string' }, priority: { type: 'integer' } } },
            },
          },
        },
        400: errorDoc,
        401: errorDoc,
        404: errorDoc,
        409: errorDoc,
        413: errorDoc,
      },
    },
    handle: forJob(prioritizeJob),
  },
  {
    method: 'GET',
    path: '/api/v1/jobs/{name}/logs/{stream}',
    doc: {
      summary: "a byte range of a job's stdout or stderr; X-Log-Size gives the whole size",
      parameters: [
        jobNameDoc,
        { name: 'stream', in: 'path', required: true, schema: { enum: ['stdout', 'stderr'] } },
        offsetDoc('offset'),
        offsetDoc('length'),
      ],
      responses: { 200: { description: 'the bytes', content: { 'application/octet-stream': {} } }, 400: errorDoc, 401: errorDoc, 404: errorDoc },
    },
    handle: forJob(sendLogs),
  },
  {
    method: 'GET',
    path: '/api/v1/events',
    doc: {
      summary:
        "server-sent events: batch, job:start, job:metrics (a running job's report: job, step, values), job:exit, batch:steer (a change, and the batch), batch:end",
      responses: { 200: { description: 'event stream', content: { 'text/event-stream': {} } }, 401: errorDoc },
    },
    handle: streamEvents,
  },
  {
    method: 'GET',
    path: '/api/v1/openapi.json',
    doc: { summary: 'this document', responses: { 200: { description: 'OpenAPI document' }, 401: errorDoc } },
    handle: ({ res }) => sendJson(res, 200, openApiDocument),
  },
];

/** The OpenAPI 3.1 description of the native API, made from the same table the daemon routes by. */
export const openApiDocument = openApiDocumentOf(openApiPaths(routes));

const match = routeMatcher(routes);

/** Serves one authenticated request: the dashboard, the original tool's routes, or the native API. */
export async function route(ctx: RouteContext): Promise<void> {
  const method = ctx.req.method ?? 'GET';
  const { path } = ctx;
  if (path[0] === 'hyperctl') return compatRoute(ctx, method, path.slice(1));
  if (path.length === 0 && method === 'GET') return sendDashboard(ctx);
  const found = match(method, path);
  if (found) return found.route.handle(ctx, found.params);
  sendError(ctx.res, 404, 'E_NOT_FOUND', `no route ${method} /${path.join('/')}`);
}
