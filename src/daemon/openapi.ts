import { jobStatuses } from '../wire/protocol.js';
import type { OperationDoc } from './route-table.js';

/** The answer of a failed request, as every route gives it. */
export const errorDoc = { description: 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };

/** An answer of one of the document's schemas. */
export const jsonDoc = (ref: string, description = 'ok') => ({
  description,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } },
});

/** A JSON request body of `schema`. */
export const bodyDoc = (schema: object, required = true) => ({ required, content: { 'application/json': { schema } } });

/** The job a route is about, by name. */
export const jobNameDoc = {
  name: 'name',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'job name, percent-encoded; matched exactly',
} as const;

/** The schemas the routes' answers refer to. */
const components = {
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
        status: { enum: jobStatuses },
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
            objectives: {
              type: 'array',
              description: 'a search of several objectives: each metric and its goal (best is then null: see front)',
              items: { type: 'object', required: ['metric', 'goal'], properties: { metric: { type: 'string' }, goal: { enum: ['min', 'max'] } } },
            },
            front: {
              type: 'array',
              description: 'a search of several objectives: the trials no other beats in every objective, in trial order',
              items: {
                type: 'object',
                required: ['trial', 'values', 'params', 'jobs'],
                properties: {
                  trial: { type: 'integer' },
                  values: { type: 'object', additionalProperties: { type: 'number' } },
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
};

/** The OpenAPI 3.1 description of the daemon's native API (`/api/v1`), its paths from the route table. */
export function openApiDocumentOf(paths: Record<string, Record<string, OperationDoc>>) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'hyperctl daemon',
      version: '1',
      description: 'Every path is also served under /{token}/…, which is how the portal handed to jobs authenticates.',
    },
    security: [{ bearer: [] }],
    paths,
    components,
  };
}
