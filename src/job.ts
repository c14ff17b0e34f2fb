/**
 * What a running job imports (`hyperctl/job`): its params and folders, with nothing else loaded.
 * @packageDocumentation
 */
import { readFile } from 'node:fs/promises';
import type { JobParamsOf } from './batch/define.js';
import { HyperctlError } from './errors.js';
import { metricsMarker } from './metrics/marker.js';

function required(name: string, env: NodeJS.ProcessEnv): string {
  const value = env[name];
  if (!value) throw new HyperctlError('E_NOT_IN_JOB', `${name} is not set: this process was not started by hyperctl as a job`);
  return value;
}

/**
 * The params this job was started with. `T` is the params type, or `typeof batch` of a
 * `defineBatch()` config to infer it.
 * Reads `HYPERCTL_JOB_PARAMS`, else the file named by `HYPERCTL_JOB_PARAMS_FILE`; outside a
 * hyperctl job it rejects with `E_NOT_IN_JOB`.
 * @example
 * ```ts
 * import { getJobParams } from 'hyperctl/job'
 * const { learning_rate } = await getJobParams<{ learning_rate: number }>()
 * ```
 * @public
 */
export async function getJobParams<T = Record<string, unknown>>(env: NodeJS.ProcessEnv = process.env): Promise<JobParamsOf<T>> {
  const inline = env.HYPERCTL_JOB_PARAMS;
  if (inline) return parseParams(inline, 'HYPERCTL_JOB_PARAMS');
  const portal = env.HYPERCTL_SERVER_PORTAL ?? env.HYPERCTL_DAEMON_PORTAL;
  if (!env.HYPERCTL_JOB_PARAMS_FILE && portal) return fetchParams(portal, required('HYPERCTL_JOB_NAME', env));
  const file = required('HYPERCTL_JOB_PARAMS_FILE', env);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new HyperctlError('E_NOT_IN_JOB', `cannot read the job's params file ${file}: ${(error as Error).message}`, { cause: error });
  }
  return parseParams(text, file);
}

/** Asks the daemon, as the original tool's client did: for jobs whose params file is not on their machine. */
async function fetchParams<T>(portal: string, name: string): Promise<T> {
  const { request } = await import('undici');
  const url = `${portal.replace(/\/+$/, '')}/hyperctl/api/job/${encodeURIComponent(name)}`;
  let lastError: unknown;
  for (let attempt = 0; attempt < 4; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
    try {
      const response = await request(url, { headersTimeout: 5000, bodyTimeout: 5000 });
      const body = (await response.body.json()) as { code?: number; data?: { params?: unknown } };
      if (response.statusCode < 500 && body.code === 0) return parseParams(JSON.stringify(body.data?.params), 'the daemon');
      lastError = new Error(`HTTP ${response.statusCode}`);
      if (response.statusCode < 500) break;
    } catch (error) {
      lastError = error;
    }
  }
  throw new HyperctlError('E_DAEMON_UNREACHABLE', `cannot get job ${name}'s params from the daemon: ${(lastError as Error).message}`, { cause: lastError });
}

function parseParams<T>(text: string, source: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HyperctlError('E_NOT_IN_JOB', `${source}: the job's params are not valid JSON`, { cause: error });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new HyperctlError('E_NOT_IN_JOB', `${source}: the job's params are not a JSON object`);
  return value as T;
}

/**
 * This job's name (`HYPERCTL_JOB_NAME`); throws `E_NOT_IN_JOB` outside a hyperctl job.
 * @public
 */
export function getJobName(env: NodeJS.ProcessEnv = process.env): string {
  return required('HYPERCTL_JOB_NAME', env);
}

/**
 * This job's data folder (`HYPERCTL_JOB_DATA_DIR`), where its `params.json`, `stdout` and `stderr`
 * live and its outputs belong; throws `E_NOT_IN_JOB` outside a hyperctl job.
 * @public
 */
export function getJobDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return required('HYPERCTL_JOB_DATA_DIR', env);
}

/**
 * Reports metrics of this job: numbers (or strings) by name. Call it as often as you like: the
 * last value of each name wins, and every call is kept as a step of the job's history (for
 * curves). It writes one `hyperctl:metrics {…}` line to stdout, so it works wherever the job runs
 * and any language can do the same without this library.
 * @example
 * ```ts
 * import { reportMetrics } from 'hyperctl/job'
 * for (let epoch = 0; epoch < 10; epoch++) reportMetrics({ loss: train(), accuracy: evaluate() }, { step: epoch })
 * ```
 * @public
 */
export function reportMetrics(
  metrics: Readonly<Record<string, number | string>>,
  options: { readonly step?: number } = {},
  env: NodeJS.ProcessEnv = process.env,
): void {
  required('HYPERCTL_JOB_NAME', env);
  for (const [name, value] of Object.entries(metrics)) {
    if (!name || name === '_step' || !((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'string')) {
      throw new HyperctlError('E_METRICS_INVALID', `metric ${JSON.stringify(name)}: expected a finite number or a string, got ${JSON.stringify(value)}`);
    }
  }
  const step = options.step === undefined ? {} : { _step: options.step };
  process.stdout.write(`${metricsMarker}${JSON.stringify({ ...metrics, ...step })}\n`);
}

export { HyperctlError, isHyperctlError } from './errors.js';
export type { HyperctlErrorCode } from './errors.js';
export type { JobParamsOf } from './batch/define.js';
