import type { BatchSpec, JobSpec } from '../batch/spec.js';
import type { JobStatus } from '../batch/types.js';
import type { MetricsReport } from '../metrics/metrics-line.js';
import type { JobMetrics } from '../metrics/metrics-tracker.js';
import type { BatchEvent } from './events.js';
import type { BatchSteer } from './batch-steer.js';
import type { JobResult } from '../state/job-result.js';
import type { JobState } from '../state/job-state.js';
import type { SearchProgress } from '../state/search-progress.js';

/** What the daemon and other observers see of a run while it goes on. */
export interface RunView {
  readonly spec: BatchSpec;
  readonly startedAt: number;
  /** When its last job ended, once it has. */
  readonly endedAt: number | undefined;
  /** Every job's current state, in batch order, made as it is read (a list of a huge batch is streamed). */
  states(): Iterable<JobState>;
  /** A job's state as results show it. */
  result(job: JobState): JobResult;
  job(name: string): JobResult | undefined;
  jobSpec(name: string): JobSpec | undefined;
  /** A job's metrics: live while it runs, else as recorded when it ended. */
  metrics(name: string): Promise<JobMetrics | undefined>;
  /** Records metrics a job sent over HTTP. */
  postMetrics(name: string, report: MetricsReport): Promise<void>;
  /** Jobs per status, kept current as jobs change (no scan of a huge batch per request). */
  counts(): Record<JobStatus, number> & { total: number };
  /** For a search: trials proposed and planned, and the best so far. */
  searchProgress(): SearchProgress | undefined;
  /** True until the batch has ended. */
  readonly active: boolean;
  /** True for a batch served from its files: no job can be killed or stopped. */
  readonly readOnly?: boolean;
  killJob(name: string): 'killed' | 'not-running' | 'unknown';
  /** Starts no more jobs (with `kill`, kills the running ones), then ends the run and its serving. */
  stop(kill: boolean): void;
  /** Steers the live run; throws `E_NOT_RUNNING` when it does not run (served from its files, starting or ending). */
  steer(): RunSteering;
  /** When the batch was paused, while it is. */
  readonly pausedAt?: number | undefined;
  /** Calls `listener` with every event from now on; returns the unsubscribe function. */
  subscribe(listener: (event: BatchEvent) => void): () => void;
}

/** What steers a live run: see {@link BatchSteer}. */
export type RunSteering = Pick<BatchSteer, 'update' | 'pause' | 'resume' | 'retry' | 'prioritize' | 'add'>;

/** A daemon that serves a run, as the run knows it: where it listens, its secret, and how to end it. */
export interface ServingDaemon {
  /** `http://host:port`, for people and the CLI. */
  readonly url: string;
  /** `http://host:port/TOKEN`: the base URL handed to jobs. */
  readonly portal: string;
  readonly token: string;
  /** The address and port it listens on, for what connects to it from this machine (jobs' forwards). */
  readonly address: { readonly host: string; readonly port: number };
  /** Said to the user as the run starts: why the daemon listens where it does. */
  readonly notice?: string;
  close(): Promise<void>;
}
