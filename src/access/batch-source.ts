import type { JobStatus } from '../batch/types.js';
import type { DaemonClient } from '../daemon/client.js';
import type { BatchInfo, JobInfo } from '../wire/protocol.js';
import type { JobMetrics } from '../metrics/metrics-tracker.js';

/** A page of a batch's jobs. @public */
export interface JobPage {
  /** Jobs that match the query, in all. */
  readonly total: number;
  /** Where this page starts among them. */
  readonly offset: number;
  readonly jobs: readonly JobInfo[];
}

/** Which jobs to read. @public */
export interface JobQuery {
  /** Only jobs of this status. */
  readonly status?: JobStatus;
  /** Skip this many. @defaultValue 0 */
  readonly offset?: number;
  /** At most this many. */
  readonly limit?: number;
}

/** A byte range of a job's output. @public */
export interface LogChunk {
  readonly data: Buffer;
  /** Where `data` starts: the offset asked for, or 0 when the output began anew (the job ran again). */
  readonly offset: number;
  /** The output's whole size so far. */
  readonly size: number;
  /** The job's status when it was read. */
  readonly status: JobStatus;
}

/** Where a batch is read from now: its daemon while it serves, else its files. */
export interface BatchSource {
  readonly kind: 'daemon' | 'disk';
  info(): Promise<BatchInfo>;
  jobs(query: JobQuery): Promise<JobPage>;
  job(name: string): Promise<JobInfo>;
  logs(name: string, stream: 'stdout' | 'stderr', offset: number, length: number): Promise<LogChunk>;
  metrics(name: string): Promise<JobMetrics>;
  /** The daemon's client, when it is the source. */
  readonly client?: DaemonClient;
}
