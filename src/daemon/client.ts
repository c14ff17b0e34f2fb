import { HyperctlError, type HyperctlErrorCode } from '../errors.js';
import type { JobMetrics } from '../metrics/metrics-tracker.js';
import type { BatchInfo, JobInfo } from '../wire/protocol.js';

/**
 * Where a daemon listens: its `portal` (`http://host:port`, or a job's `HYPERCTL_SERVER_PORTAL`,
 * whose path already carries the token) and the `token` when the portal does not carry it.
 * @public
 */
export interface DaemonClientOptions {
  /** The daemon's base URL. */
  readonly portal: string;
  /** The batch's token (its `token` file), sent as a bearer token. */
  readonly token?: string;
  /** Per-request timeout in milliseconds. @defaultValue 10000 */
  readonly timeoutMs?: number;
}

/**
 * A job event from the daemon's event stream.
 * @public
 */
export interface DaemonEvent {
  /** `batch`, `job:start`, `job:metrics`, `job:exit` or `batch:end`. */
  readonly type: string;
  /** The event's JSON payload. */
  readonly data: unknown;
}

/**
 * A change to a live batch's settings: its parallelism (the whole batch's, or with `machine` one
 * machine's slots) or a search's trial budget.
 * @public
 */
export interface BatchUpdate {
  /** Jobs at once from now on; lowering it kills no running job. */
  readonly parallelism?: number;
  /** With `parallelism`: the host of the one machine whose slots it sets (remote backend). */
  readonly machine?: string;
  /** A search's trial budget. */
  readonly maxTrials?: number;
}

/**
 * A typed client of a running batch's daemon.
 * @public
 */
export interface DaemonClient {
  /** The batch's summary. */
  batch(): Promise<BatchInfo>;
  /** Jobs, optionally of one status, paged. */
  jobs(query?: { status?: JobInfo['status']; offset?: number; limit?: number }): Promise<{ total: number; offset: number; jobs: JobInfo[] }>;
  /** One job. */
  job(name: string): Promise<JobInfo>;
  /** A job's metrics: the last value of each, and every report with its step. */
  metrics(name: string): Promise<JobMetrics>;
  /** Kills a running job's whole process group. */
  kill(name: string): Promise<void>;
  /** Stops starting jobs; with `kill`, kills the running ones too. */
  stop(options?: { kill?: boolean }): Promise<void>;
  /** Changes the live batch's parallelism or trial budget (journalled); resolves with its summary. */
  update(change: BatchUpdate): Promise<BatchInfo>;
  /** No job starts until {@link DaemonClient.resume}; with `kill`, running jobs are killed and start again on resume. */
  pause(options?: { kill?: boolean }): Promise<BatchInfo>;
  /** Jobs start again. */
  resume(): Promise<BatchInfo>;
  /** Runs an ended job again in the live batch; resolves with the names queued. */
  retry(name: string): Promise<string[]>;
  /** Runs every failed job again in the live batch; resolves with their names. */
  retryFailed(): Promise<string[]>;
  /**
   * Adds jobs to the live batch — `config` as a batch config's `jobs` (and `job_defaults`), or a
   * job template — their relative paths against `baseDir`; resolves with their names.
   */
  add(config: unknown, baseDir?: string): Promise<string[]>;
  /** Sets a waiting job's priority (higher starts first; `first`: above all others); resolves with it. */
  prioritize(name: string, priority: number | 'first'): Promise<number>;
  /** A byte range of a job's stdout or stderr, and the stream's whole size so far. */
  logs(
    name: string,
    options?: { stream?: 'stdout' | 'stderr'; offset?: number; length?: number },
  ): Promise<{ data: Buffer; size: number; status: JobInfo['status'] }>;
  /** The event stream, until `signal` aborts or the daemon closes it. */
  events(signal?: AbortSignal): AsyncIterable<DaemonEvent>;
}

/**
 * Creates a {@link DaemonClient}.
 * @example
 * ```ts
 * const client = createDaemonClient({ portal: 'http://127.0.0.1:8060', token })
 * const { jobs } = await client.jobs({ status: 'running' })
 * ```
 * @public
 */
export function createDaemonClient(options: DaemonClientOptions): DaemonClient {
  const base = options.portal.replace(/\/+$/, '');
  const headers = options.token ? { authorization: `Bearer ${options.token}` } : {};
  const timeout = options.timeoutMs ?? 10_000;
  const enc = encodeURIComponent;

  async function call(method: 'GET' | 'POST', path: string, body?: unknown, signal?: AbortSignal) {
    let response: Awaited<ReturnType<typeof import('undici').request>>;
    try {
      // Loaded on first use: commands that never talk to a daemon (such as `run`) start faster without it.
      const { request } = await import('undici');
      response = await request(`${base}${path}`, {
        method,
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        headersTimeout: timeout,
        bodyTimeout: signal ? 0 : timeout,
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      throw new HyperctlError('E_DAEMON_UNREACHABLE', `cannot reach the daemon at ${redact(base)}: ${(error as Error).message}`, { cause: error });
    }
    if (response.statusCode >= 400) {
      const text = await response.body.text();
      let message = text;
      let code = '';
      try {
        const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
        message = parsed.error?.message ?? text;
        code = parsed.error?.code ?? '';
      } catch {
        // not JSON: keep the text
      }
      throw new HyperctlError(passedOn.has(code) ? (code as HyperctlErrorCode) : 'E_DAEMON_REQUEST', message || `HTTP ${response.statusCode}`);
    }
    return response;
  }
  const getJson = async <T>(path: string): Promise<T> => (await (await call('GET', path)).body.json()) as T;
  const postJson = async <T>(path: string, body?: unknown): Promise<T> => (await (await call('POST', path, body)).body.json()) as T;

  return {
    batch: () => getJson<BatchInfo>('/api/v1/batch'),
    jobs: (query = {}) => {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
      return getJson(`/api/v1/jobs${params.size ? `?${params}` : ''}`);
    },
    job: (name) => getJson<JobInfo>(`/api/v1/jobs/${enc(name)}`),
    metrics: (name) => getJson<JobMetrics>(`/api/v1/jobs/${enc(name)}/metrics`),
    kill: async (name) => void (await (await call('POST', `/api/v1/jobs/${enc(name)}/kill`)).body.dump()),
    stop: async ({ kill = false } = {}) => void (await (await call('POST', '/api/v1/batch/stop', { kill })).body.dump()),
    update: ({ parallelism, machine, maxTrials }) => postJson<BatchInfo>('/api/v1/batch/update', { parallelism, machine, max_trials: maxTrials }),
    pause: ({ kill = false } = {}) => postJson<BatchInfo>('/api/v1/batch/pause', { kill }),
    resume: () => postJson<BatchInfo>('/api/v1/batch/resume'),
    retry: async (name) => (await postJson<{ retried: string[] }>(`/api/v1/jobs/${enc(name)}/retry`)).retried,
    retryFailed: async () => (await postJson<{ retried: string[] }>('/api/v1/batch/retry-failed')).retried,
    add: async (config, baseDir) => (await postJson<{ added: string[] }>('/api/v1/batch/jobs', { config, ...(baseDir ? { base_dir: baseDir } : {}) })).added,
    prioritize: async (name, priority) =>
      (await postJson<{ priority: number }>(`/api/v1/jobs/${enc(name)}/priority`, priority === 'first' ? { first: true } : { priority })).priority,
    logs: async (name, { stream = 'stdout', offset = 0, length } = {}) => {
      const response = await call('GET', `/api/v1/jobs/${enc(name)}/logs/${stream}?offset=${offset}${length === undefined ? '' : `&length=${length}`}`);
      const data = Buffer.from(await response.body.arrayBuffer());
      return { data, size: Number(response.headers['x-log-size']), status: response.headers['x-job-status'] as JobInfo['status'] };
    },
    async *events(signal) {
      const response = await call('GET', '/api/v1/events', undefined, signal ?? new AbortController().signal);
      let buffer = '';
      try {
        for await (const chunk of response.body) {
          buffer += (chunk as Buffer).toString('utf8');
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const type = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (type && data) yield { type, data: JSON.parse(data) as unknown };
          }
        }
      } catch (error) {
        if (!signal?.aborted) throw error;
      }
    },
  };
}

/** Codes of the daemon's refusals that mean what they mean here too. */
const passedOn = new Set(['E_NOT_RUNNING', 'E_JOB_NOT_FOUND', 'E_CONFLICT', 'E_USAGE', 'E_STATE_WRITE', 'E_CONFIG_INVALID', 'E_TEMPLATE_INVALID']);

/** A portal's path may be the token: never put it in a message. */
function redact(url: string): string {
  return url.replace(/^(https?:\/\/[^/]+)\/.*$/, '$1/…');
}
