import type { JobSpec } from '../batch/spec.js';
import type { JobParams } from '../batch/types.js';
import type { Metrics } from '../metrics/metrics-line.js';

/** Who a job is: what every state of it carries. */
interface JobIdentity {
  readonly name: string;
  readonly params: JobParams;
  readonly dataDir: string;
}

/** Not started in the current run; `queued` is the scheduler's id while the job waits in its queue. */
export interface InitJob extends JobIdentity {
  readonly status: 'init';
  readonly queued?: string;
}

/** Its process runs (`pid` and `ticks` identify a local one, `handle` one a scheduler runs). */
export interface RunningJob extends JobIdentity {
  readonly status: 'running';
  readonly startedAt: number;
  readonly host: string;
  readonly pid?: number;
  readonly ticks?: number | null;
  readonly handle?: string;
}

/** It ended: how, when, where, and what it reported. */
export interface EndedJob extends JobIdentity {
  readonly status: 'succeed' | 'failed' | 'killed' | 'pruned';
  readonly startedAt: number;
  readonly endedAt: number;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly host?: string;
  readonly reason?: string;
  readonly metrics?: Metrics;
}

/** One job's state: each status with only its own data. */
export type JobState = InitJob | RunningJob | EndedJob;

/** A job before anything happened to it. */
export function initialJobState(spec: Pick<JobSpec, 'name' | 'params' | 'dataDir'>): InitJob {
  return { status: 'init', name: spec.name, params: spec.params, dataDir: spec.dataDir };
}
