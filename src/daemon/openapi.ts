const error = { description: 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
const json = (ref: string, description = 'ok') => ({ description, content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });
const body = (schema: object, required = true) => ({ required, content: { 'application/json': { schema } } });
const jobName = { name: 'name', in: 'path', required: true, schema: { type: 'string' }, description: 'job name, percent-encoded; matched exactly' };

/** The OpenAPI 3.1 description of the daemon's native API (`/api/v1`); a test keeps it true. */
export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'hyperctl daemon',
    version: '1',
    description: 'Every path is also served under /{token}/…, which is how the portal handed to jobs authenticates.',
  },
  security: [{ bearer: [] }],
  paths: {
    '/api/v1/batch': { get: { summary: 'batch summary', responses: { 200: json('Batch'), 401: error } } },
    '/api/v1/batch/stop': {
      post: {
        summary: 'stop starting jobs (with kill, also kill the running ones), then end the run and stop serving',
        requestBody: body({ type: 'object', additionalProperties: false, properties: { kill: { type: 'boolean' } } }, false),
        responses: { 202: { description: 'stopping' }, 400: error, 401: error, 413: error },
      },
    },
    '/api/v1/batch/update': {
      post: {
        summary: "change the running batch's parallelism (with machine, that machine's slots) or a search's trial budget; journalled, a re-run keeps it",
        requestBody: body({
          type: 'object',
          additionalProperties: false,
          properties: { parallelism: { type: 'integer', minimum: 1 }, machine: { type: 'string' }, max_trials: { type: 'integer', minimum: 1 } },
        }),
        responses: { 200: json('Batch'), 400: error, 401: error, 409: error, 413: error },
      },
    },
    '/api/v1/batch/pause': {
      post: {
        summary: 'start no job until resumed (with kill, kill the running ones, which start again on resume)',
        requestBody: body({ type: 'object', additionalProperties: false, properties: { kill: { type: 'boolean' } } }, false),
        responses: { 200: json('Batch'), 400: error, 401: error, 409: error, 413: error },
      },
    },
    '/api/v1/batch/resume': { post: { summary: 'start jobs again after a pause', responses: { 200: json('Batch'), 401: error, 409: error } } },
    '/api/v1/batch/jobs': {
      post: {
        summary:
          'add jobs to the running batch: config holds them as a batch config does (jobs, job_defaults) or is a job template; relative paths against base_dir; they run after those waiting, and a later run keeps them',
        requestBody: body({
          type: 'object',
          additionalProperties: false,
          required: ['config'],
          properties: { config: { type: 'object' }, base_dir: { type: 'string' } },
        }),
        responses: {
          200: {
            description: 'the jobs added',
            content: {
              'application/json': { schema: { type: 'object', required: ['added'], properties: { added: { type: 'array', items: { type: 'string' } } } } },
            },
          },
          400: error,
          401: error,
          409: error,
          413: error,
        },
      },
    },
    '/api/v1/batch/retry-failed': {
      post: { summary: 'run every failed job again, after those waiting', responses: { 200: json('Retried'), 401: error, 409: error } },
    },
    '/api/v1/jobs': {
      get: {
        summary: 'jobs, optionally by status, paged',
        parameters: [
          { name: 'status', in: 'query', schema: { enum: ['init', 'running', 'succeed', 'failed', 'killed', 'pruned'] } },
          { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0 } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 0 } },
        ],
        responses: { 200: json('JobPage'), 400: error, 401: error },
      },
    },
    '/api/v1/jobs/{name}': { get: { summary: 'one job', parameters: [jobName], responses: { 200: json('Job'), 401: error, 404: error } } },
    '/api/v1/jobs/{name}/metrics': {
      get: {
        summary: "a job's metrics: the last value of each, and every report with its step",
        parameters: [jobName],
        responses: { 200: json('JobMetrics'), 401: error, 404: error },
      },
      post: {
        summary: 'report metrics for a running job (the job itself, through its portal)',
        parameters: [jobName],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: { type: 'object', additionalProperties: { type: ['number', 'string'] }, description: '"_step" (a number) names the step' },
            },
          },
        },
        responses: { 202: { description: 'recorded' }, 400: error, 401: error, 404: error, 409: error, 413: error },
      },
    },
    '/api/v1/jobs/{name}/kill': {
      post: {
        summary: "kill a running job's process group",
        parameters: [jobName],
        responses: { 202: { description: 'killing' }, 401: error, 404: error, 409: error },
      },
    },
    '/api/v1/jobs/{name}/retry': {
      post: {
        summary: 'run an ended job again, after those waiting',
        parameters: [jobName],
        responses: { 200: json('Retried'), 400: error, 401: error, 404: error, 409: error },
      },
    },
    '/api/v1/jobs/{name}/priority': {
      post: {
        summary: "a waiting job's priority: higher starts first (default 0); {first: true} puts it above every other",
        parameters: [jobName],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                oneOf: [
                  { type: 'object', additionalProperties: false, required: ['priority'], properties: { priority: { type: 'integer' } } },
                  { type: 'object', additionalProperties: false, required: ['first'], properties: { first: { const: true } } },
                ],
              },
            },
          },
        },
        responses: {
          200: {
            description: 'the priority given',
            content: {
              'application/json': {
                schema: { type: 'object', required: ['name', 'priority'], properties: { name: { type: 'string' }, priority: { type: 'integer' } } },
              },
            },
          },
          400: error,
          401: error,
          404: error,
          409: error,
          413: error,
        },
      },
    },
    '/api/v1/jobs/{name}/logs/{stream}': {
      get: {
        summary: "a byte range of a job's stdout or stderr; X-Log-Size gives the whole size",
        parameters: [
          jobName,
          { name: 'stream', in: 'path', required: true, schema: { enum: ['stdout', 'stderr'] } },
          { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0 } },
          { name: 'length', in: 'query', schema: { type: 'integer', minimum: 0 } },
        ],
        responses: { 200: { description: 'the bytes', content: { 'application/octet-stream': {} } }, 400: error, 401: error, 404: error },
      },
    },
    '/api/v1/events': {
      get: {
        summary:
          "server-sent events: batch, job:start, job:metrics (a running job's report: job, step, values), job:exit, batch:steer (a change, and the batch), batch:end",
        responses: { 200: { description: 'event stream', content: { 'text/event-stream': {} } }, 401: error },
      },
    },
    '/api/v1/openapi.json': { get: { summary: 'this document', responses: { 200: { description: 'OpenAPI document' }, 401: error } } },
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } } },
      },
      Job: {
        type: 'object',
        required: ['name', 'status', 'exitCode', 'signal', 'host', 'reason', 'startedAt', 'endedAt', 'durationMs', 'params', 'dataDir', 'metrics'],
        properties: {
          name: { type: 'string' },
          status: { enum: ['init', 'running', 'succeed', 'failed', 'killed', 'pruned'] },
          exitCode: { type: ['integer', 'null'] },
          signal: { type: ['string', 'null'] },
          host: { type: ['string', 'null'] },
          reason: { type: ['string', 'null'] },
          startedAt: { type: ['string', 'null'], format: 'date-time' },
          endedAt: { type: ['string', 'null'], format: 'date-time' },
          durationMs: { type: ['number', 'null'] },
          params: { type: 'object' },
          dataDir: { type: 'string' },
          metrics: { type: ['object', 'null'], additionalProperties: { type: ['number', 'string'] } },
        },
      },
      JobMetrics: {
        type: 'object',
        required: ['last', 'history'],
        properties: {
          last: { type: 'object', additionalProperties: { type: ['number', 'string'] } },
          history: {
            type: 'array',
            items: { type: 'object', required: ['step', 'values'], properties: { step: { type: 'number' }, values: { type: 'object' } } },
          },
        },
      },
      Retried: {
        type: 'object',
        required: ['retried'],
        properties: { retried: { type: 'array', items: { type: 'string' }, description: 'the jobs queued again' } },
      },
      JobPage: {
        type: 'object',
        required: ['total', 'offset', 'jobs'],
        properties: { total: { type: 'integer' }, offset: { type: 'integer' }, jobs: { type: 'array', items: { $ref: '#/components/schemas/Job' } } },
      },
      Batch: {
        type: 'object',
        required: ['name', 'status', 'counts', 'startedAt', 'elapsedMs', 'dataDir'],
        properties: {
          name: { type: 'string' },
          status: { enum: ['running', 'finished', 'interrupted', 'init'] },
          counts: { type: 'object' },
          startedAt: { type: ['string', 'null'] },
          elapsedMs: { type: ['number', 'null'] },
          dataDir: { type: 'string' },
          readOnly: { type: 'boolean' },
          pausedAt: { type: 'string', format: 'date-time' },
          objective: {
            type: 'object',
            required: ['metric', 'goal', 'from'],
            properties: { metric: { type: 'string' }, goal: { enum: ['min', 'max'] }, from: { enum: ['search', 'early_stopping'] } },
          },
          search: {
            type: 'object',
            required: ['algorithm', 'logParams', 'proposed', 'planned', 'plannedJobs', 'goal', 'best'],
            properties: {
              algorithm: { type: 'string' },
              logParams: { type: 'array', items: { type: 'string' } },
              proposed: { type: 'integer', description: 'trials proposed so far' },
              planned: { type: ['integer', 'null'], description: 'trials planned: the budget as steered, or the size of a finite space' },
              plannedJobs: { type: ['integer', 'null'], description: 'jobs once every planned trial is proposed' },
              metric: { type: 'string' },
              goal: { enum: ['min', 'max'] },
              best: {
                type: ['object', 'null'],
                properties: {
                  trial: { type: 'integer' },
                  value: { type: 'number' },
                  params: { type: 'object' },
                  jobs: { type: 'array', items: { type: 'string' } },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;
