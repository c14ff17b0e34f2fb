import { HyperctlError } from '../errors.js';
import type { JobMetrics } from '../metrics/metrics-tracker.js';
import type { BatchInfo, JobInfo } from './protocol.js';

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
      throw new HyperctlError(
        code === 'E_NOT_RUNNING' ? 'E_NOT_RUNNING' : code === 'E_JOB_NOT_FOUND' ? 'E_JOB_NOT_FOUND' : 'E_DAEMON_REQUEST',
        message || `HTTP ${response.statusCode}`,
      );
    }
    return response;
  }
  const getJson = async <T>(path: string): Promise<T> => (await (await call('GET', path)).body.json()) as T;

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

/** A portal's path may be the token: never put it in a message. */
function redact(url: string): string {
  return url.replace(/^(https?:\/\/[^/]+)\/.*$/, '$1/…');
}
