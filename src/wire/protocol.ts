import type { BatchSpec } from '../batch/spec.js';
import type { JobParams, JobStatus } from '../batch/types.js';
import type { Metrics } from '../metrics/metrics-line.js';
import { type Objective, statedObjective } from '../results/objective.js';
import { parseSearchSpace } from '../search/space.js';
import type { SearchProgress } from './search-progress.js';

/** Every status a job can have, as the API filters by it and describes it. */
export const jobStatuses = ['init', 'running', 'succeed', 'failed', 'killed', 'pruned'] as const satisfies readonly JobStatus[];

/**
 * A job as the daemon's API and the CLI's `--json` show it.
 * @public
 */
export interface JobInfo {
  /** The job's name. */
  readonly name: string;
  /** Its status. */
  readonly status: JobStatus;
  /** Exit code, or null. */
  readonly exitCode: number | null;
  /** The signal that ended it, or null. */
  readonly signal: string | null;
  /** Where it ran, or null before it started. */
  readonly host: string | null;
  /** Why it ended, when the exit code does not say. */
  readonly reason: string | null;
  /** Start, ISO 8601, or null. */
  readonly startedAt: string | null;
  /** End, ISO 8601, or null. */
  readonly endedAt: string | null;
  /** Run time so far or in all, in milliseconds, or null. */
  readonly durationMs: number | null;
  /** The job's params. */
  readonly params: JobParams;
  /** Its data folder. */
  readonly dataDir: string;
  /** The last value of each metric it reported, or null. */
  readonly metrics: Metrics | null;
}

/**
 * A batch's summary as the daemon's API and the CLI's `--json` show it.
 * @public
 */
export interface BatchInfo {
  /** The batch's name. */
  readonly name: string;
  /** `running` while its runner lives; after that `finished`, or `interrupted` when not every job ended. */
  readonly status: 'running' | 'finished' | 'interrupted' | 'init';
  /** Job counts per status, and the total. */
  readonly counts: { readonly total: number } & { readonly [S in JobStatus]: number };
  /** Start of the current or last run, ISO 8601, or null. */
  readonly startedAt: string | null;
  /** Wall time of that run in milliseconds, or null. */
  readonly elapsedMs: number | null;
  /** The batch folder. */
  readonly dataDir: string;
  /** True when the batch is served from its files (`batch serve`): nothing runs, nothing can be killed. */
  readonly readOnly?: boolean;
  /** When it was paused (`batch pause`), ISO 8601, while it is: no job starts until it is resumed. */
  readonly pausedAt?: string;
  /** What its jobs are ranked by, when the batch says: its search's metric, else its early-stopping rule's. */
  readonly objective?: Objective;
  /**
   * For a search: its algorithm, the params it draws on a log scale (charts show those on one),
   * and how far it has come: trials proposed and planned, and the best so far.
   */
  readonly search?: { readonly algorithm: string; readonly logParams: readonly string[] } & SearchProgress;
}

/** The common fields of a job from memory or from disk, turned into a {@link JobInfo}. */
export function toJobInfo(job: {
  name: string;
  status: JobStatus;
  exitCode: number | null;
  signal: string | null;
  host?: string | undefined;
  reason?: string | undefined;
  startedAt?: number | undefined;
  endedAt?: number | undefined;
  params: JobParams;
  dataDir: string;
  metrics?: Metrics | undefined;
}): JobInfo {
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  return {
    name: job.name,
    status: job.status,
    exitCode: job.exitCode,
    signal: job.signal,
    host: job.host ?? null,
    reason: job.reason ?? null,
    startedAt: iso(job.startedAt),
    endedAt: iso(job.endedAt),
    durationMs: job.startedAt === undefined ? null : (job.endedAt ?? Date.now()) - job.startedAt,
    params: job.params,
    dataDir: job.dataDir,
    metrics: job.metrics ?? null,
  };
}

/** The ranking and scales a batch's spec states, and a search's progress, as {@link BatchInfo} carries them. */
export function objectiveOf(spec: Pick<BatchSpec, 'search' | 'earlyStopping'>, progress: SearchProgress | undefined): Pick<BatchInfo, 'objective' | 'search'> {
  const { search, earlyStopping } = spec;
  const objective = statedObjective({ ...(search ? { search } : {}), ...(earlyStopping ? { earlyStopping } : {}) });
  // Top-level params drawn log-uniformly (or log-normally, or as log-spaced integers).
  const logParams = search
    ? parseSearchSpace(search.space).space.params.flatMap(([name, node]) => (node.t === 'dim' && node.dim.kind !== 'choice' && node.dim.log ? [name] : []))
    : [];
  return {
    ...(objective ? { objective } : {}),
    ...(search && progress ? { search: { algorithm: search.algorithm, logParams, ...progress } } : {}),
  };
}
