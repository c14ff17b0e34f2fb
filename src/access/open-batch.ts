import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BatchSpec } from '../batch/spec.js';
import type { JobParams } from '../batch/types.js';
import type { BatchInfo, JobInfo } from '../wire/protocol.js';
import type { BatchUpdate } from '../daemon/client.js';
import { serveStoredBatch } from '../daemon/serve-stored.js';
import { HyperctlError, isHyperctlError } from '../errors.js';
import { backendOf } from '../executors/backends/backend-of.js';
import type { FetchedFiles } from '../executors/backends/backend.js';
import type { JobMetrics } from '../metrics/metrics-tracker.js';
import { resolveBatchesDataDir } from '../paths.js';
import { bestJob, bestOf, compareJobs, type CompareOptions, type Comparison, comparisonOrder, firstInOrder } from '../results/compare.js';
import { type Goal, type Objective, objectivesText, rankingObjective, searchObjectives, type StatedObjectives, statedObjective } from '../results/objective.js';
import type { FrontTrial } from '../wire/search-progress.js';
import { type ParamImportance, paramImportances, valuedParams } from '../results/importance.js';
import { readDaemonAccess, readRunner } from '../store/batch-store.js';
import type { IndexColumns } from '../store/batch-index.js';
import { foldBatch, listBatches as listStoredBatches, readBatch } from '../store/read-batch.js';
import type { BatchSource, JobPage, JobQuery, LogChunk } from './batch-source.js';
import { daemonSource } from './daemon-source.js';
import { diskSource, storedBatchInfo } from './disk-source.js';
import { closestNames, unknownJob } from '../text/closest-names.js';

/** Where batches live. @public */
export interface BatchesOptions {
  /** @defaultValue `HYPERCTL_BATCHES_DATA_DIR`, else `~/hyperctl-batches-data-dir` */
  readonly batchesDataDir?: string;
}

/** A batch's summary, where it was read from, and its daemon's address while it serves. @public */
export interface BatchOverview extends BatchInfo {
  /** `daemon` while its run serves it (live), else `disk`. */
  readonly source: 'daemon' | 'disk';
  /** The daemon's URL (without the token), while one serves the batch. */
  readonly portal: string | null;
}

/** One job in full: its state, and what it runs. @public */
export interface JobDetails extends JobInfo {
  readonly command: string;
  readonly workingDir: string;
}

/** The best job by a metric. @public */
export interface BestJob {
  readonly name: string;
  readonly metric: string;
  readonly value: number;
  readonly goal: Goal;
  /** Who decided the metric's goal: the batch's search or early-stopping rule, the caller, or a guess from its name. */
  readonly goalFrom: Objective['from'];
  readonly params: JobParams;
  readonly metrics: Readonly<Record<string, number | string>>;
  readonly dataDir: string;
  /** Succeeded jobs it was chosen among. */
  readonly among: number;
}

/**
 * The Pareto front of a search of several objectives: its objectives, and the trials no other
 * trial is as good as in every objective and better in one, each with its values.
 * @public
 */
export interface BatchFront {
  readonly objectives: readonly Objective[];
  /** In trial order; a trial's values are the means over its jobs, all of which succeeded. */
  readonly trials: readonly FrontTrial[];
}

/**
 * What {@link Batch.importance} found: the metric, how many jobs it weighed, and each param's share.
 * @public
 */
export interface ParamImportances {
  readonly metric: string;
  /** The succeeded jobs with a numeric value of the metric it weighed. */
  readonly among: number;
  /** Most important first; the shares sum to 1 (all 0 when the metric never varied). */
  readonly params: readonly ParamImportance[];
}

/**
 * A batch to read and control: live through its daemon while its run serves it, from its files
 * otherwise, behind one interface (each call asks afresh, so a batch that ends mid-way is read
 * from disk from then on). Made by {@link openBatch}.
 * @public
 */
export interface Batch {
  readonly name: string;
  readonly dataDir: string;
  /** Its summary: status, counts, start, elapsed. */
  info(): Promise<BatchOverview>;
  /** Its jobs, filtered and paged. */
  jobs(query?: JobQuery): Promise<JobPage>;
  /** One job in full; `E_JOB_NOT_FOUND` when there is none. */
  job(name: string): Promise<JobDetails>;
  /** A byte range of a job's stdout or stderr (1 MiB at most at once). */
  logs(name: string, options?: { stream?: 'stdout' | 'stderr'; offset?: number; length?: number }): Promise<LogChunk>;
  /** A job's output from `offset` on, chunk by chunk; with `follow`, until the job can write no more. */
  readLogs(name: string, options?: { stream?: 'stdout' | 'stderr'; follow?: boolean; signal?: AbortSignal }): AsyncIterable<Buffer>;
  /** A job's metrics: the last value of each, and every report with its step. */
  metrics(name: string): Promise<JobMetrics>;
  /** Its jobs side by side: the params that vary, the metrics, the duration; sorted (by default, best first by the batch's search or early-stopping metric), filtered, cut. */
  compare(options?: CompareOptions): Promise<Comparison>;
  /**
   * The succeeded job with the best value of a metric, or undefined when no succeeded job reported
   * it as a number; `E_USAGE`, naming the closest metrics, when no job at all reported it. The
   * metric and its goal are decided by one rule, the same in every view: the batch's search or
   * early-stopping rule, else what is asked, else a guess from the name; `E_USAGE` when none names a
   * metric, or the goal asked contradicts the batch's.
   */
  best(metric?: string, goal?: Goal): Promise<BestJob | undefined>;
  /**
   * For a search of several objectives, its best: the Pareto front, as every view shows it (the
   * same as `info().search.front`); undefined for any other batch, whose best is {@link Batch.best}'s.
   */
  front(): Promise<BatchFront | undefined>;
  /**
   * Which params matter: each param's share of the variance of a metric among the succeeded jobs
   * (functional ANOVA over a random forest, as Optuna's default evaluator), most important first;
   * for grids and searches, numeric and categorical params, a sub-space's params by their path.
   * The metric is decided as {@link Batch.best} decides it; `E_USAGE` with fewer than two jobs to weigh.
   */
  importance(options?: { metric?: string; seed?: number }): Promise<ParamImportances>;
  /** The dashboard's address while a run serves it (it holds the token), else null. */
  dashboard(): string | null;
  /** Kills a running job's process group; `E_NOT_RUNNING` when the batch or the job does not run. */
  kill(name: string): Promise<void>;
  /** Starts no more jobs (with `kill`, kills the running ones) and ends the run; `E_NOT_RUNNING` when it does not run. */
  stop(options?: { kill?: boolean }): Promise<void>;
  /** Changes the running batch's parallelism or a search's trial budget, journalled (a re-run keeps it); `E_NOT_RUNNING` when it does not run. */
  update(change: BatchUpdate): Promise<BatchInfo>;
  /** No job starts until `resume()`; with `kill`, running jobs are killed and start again on resume. */
  pause(options?: { kill?: boolean }): Promise<BatchInfo>;
  /** Jobs start again after a pause. */
  resume(): Promise<BatchInfo>;
  /**
   * Runs an ended job again, after those waiting, while a run serves the batch — running, or
   * serving it after its end (the job then runs in a round of its own); resolves with the names queued.
   */
  retry(job: string): Promise<string[]>;
  /** Runs every failed job again while a run serves the batch, as {@link Batch.retry}; resolves with their names. */
  retryFailed(): Promise<string[]>;
  /**
   * Adds jobs to the running batch: `config` holds them as a batch config does (`jobs`, and
   * `job_defaults`), or is a job template (its grid); relative paths against `baseDir` (the
   * current folder). They run after those waiting, and a later run of the batch has them too;
   * resolves with their names. To a running search, adds trials instead: `config` is
   * `{ trials: [params, …] }` (or the list), each with every sampled param, checked against the
   * space and counted in `max_trials`; the search proposes them, in order, before any drawn one
   * (`E_CONFLICT` when its budget has no room for them). Resolves with each one's params as JSON.
   */
  add(config: unknown, options?: { baseDir?: string }): Promise<string[]>;
  /** A waiting job's priority: higher starts first (`first`: above all others); resolves with it. */
  prioritize(job: string, priority: number | 'first'): Promise<number>;
  /**
   * Serves a batch no run holds — its API and dashboard — from its files, until `signal` aborts
   * or a client stops it; `onServing` gets the dashboard's address. `E_BATCH_LOCKED` while a run holds it.
   */
  serve(options: { host?: string; port?: number; signal: AbortSignal; onServing?: (dashboard: string) => void }): Promise<void>;
  /**
   * Brings files of a job that ran on a remote machine into its local data folder: those the
   * globs match in its working directory there (its `outputs` when none are given). `E_USAGE`
   * for a batch of another backend, or a job that has not run.
   */
  fetch(name: string, globs?: readonly string[]): Promise<FetchedFiles>;
}

const chunkBytes = 1 << 20;

/** `job fetch`: the job's files, from the machine it ran on, brought home by its backend. */
async function fetchJobFiles(spec: BatchSpec, job: JobDetails, globs: readonly string[] | undefined): Promise<FetchedFiles> {
  const backend = backendOf(spec.backend);
  if (!backend.fetchFiles)
    throw new HyperctlError('E_USAGE', `batch "${spec.name}" ran on the ${backend.name} backend: job ${job.name}'s files are in its folder, ${job.dataDir}`);
  const jobSpec = spec.jobs.find((j) => j.name === job.name) ?? foldBatch(dirname(spec.dataDir), spec.name, spec).state.spec(job.name);
  const wanted = globs && globs.length > 0 ? globs : jobSpec?.outputs;
  const where = jobSpec?.workingDirAsWritten !== undefined ? { workingDirAsWritten: jobSpec.workingDirAsWritten } : {};
  return backend.fetchFiles({ host: job.host, status: job.status, batchName: spec.name, name: job.name, dataDir: job.dataDir, ...where }, wanted ?? []);
}

/**
 * Opens a batch by name; `E_BATCH_NOT_FOUND` when its folder holds none.
 * @example
 * ```ts
 * const batch = openBatch('sweep')
 * const { jobs } = await batch.jobs({ status: 'failed' })
 * const winner = await batch.best('accuracy', 'max')
 * ```
 * @public
 */
export function openBatch(name: string, options: BatchesOptions = {}): Batch {
  const batchesDataDir = resolveBatchesDataDir(options.batchesDataDir);
  const dir = join(batchesDataDir, name);
  const disk = diskSource(batchesDataDir, name);
  const live = () => {
    const access = readDaemonAccess(dir);
    return access ? daemonSource(access) : undefined;
  };
  /** Asks the daemon while one serves, the files otherwise, and the files when the daemon went away meanwhile. */
  const ask = async <T>(question: (source: BatchSource) => Promise<T>): Promise<T> => {
    const daemon = live();
    if (daemon) {
      try {
        return await question(daemon);
      } catch (error) {
        if (!(isHyperctlError(error) && error.code === 'E_DAEMON_UNREACHABLE')) throw error;
      }
    }
    return question(disk);
  };
  /** The daemon's client while a run serves the batch; `retrying`: the refusal says how its jobs run again. */
  const control = (retrying = false) => {
    const daemon = live();
    if (daemon?.client) return daemon.client;
    if (readRunner(dir))
      throw new HyperctlError(
        'E_NOT_RUNNING',
        `batch "${name}" runs without a daemon (started by runBatch() without { daemon: true }); it can only be controlled by the program that runs it`,
      );
    const status = readBatch(batchesDataDir, name).status;
    throw new HyperctlError(
      'E_NOT_RUNNING',
      retrying
        ? `batch "${name}" is not running (it is ${status}): run it again as it was run (hyperctl run CONFIG, or the same --param line) to run its failed, killed and unstarted jobs again; a retry needs a run that serves the batch`
        : `batch "${name}" is not running (it is ${status}); there is nothing to kill, stop or steer`,
    );
  };
  const allJobs = async () => (await ask((source) => source.jobs({}))).jobs;
  /** The objective to rank (or weigh params) by, as {@link rankingObjective} decides it; `E_USAGE` when none, or no job reported its metric. */
  const rankBy = (stated: StatedObjectives, metrics: ReadonlySet<string>, askedMetric: string | undefined, askedGoal: Goal | undefined): Objective => {
    const objective = rankingObjective(stated, { ...(askedMetric !== undefined ? { metric: askedMetric } : {}), ...(askedGoal ? { goal: askedGoal } : {}) });
    const several = searchObjectives(stated);
    if (!objective && several)
      throw new HyperctlError(
        'E_USAGE',
        `batch "${name}" searches ${several.length} objectives (${objectivesText(several)}): its best is a Pareto front (hyperctl batch best ${name}, or Batch.front()); name one of them (--metric) to rank by it alone`,
      );
    if (!objective)
      throw new HyperctlError(
        'E_USAGE',
        `batch "${name}" has no search or early_stopping metric to rank by: name one${metrics.size > 0 ? ` (its jobs reported ${[...metrics].sort().join(', ')})` : ''}`,
      );
    if (!metrics.has(objective.metric))
      throw new HyperctlError(
        'E_USAGE',
        `no job of batch "${name}" reported a metric "${objective.metric}"${closestNames(objective.metric, metrics, 'metrics')}`,
      );
    return objective;
  };
  const batch: Batch = {
    name,
    dataDir: dir,
    info: () =>
      ask(async (source) => ({
        ...(await source.info()),
        source: source.kind,
        portal: source.kind === 'daemon' ? (readDaemonAccess(dir)?.portal ?? null) : null,
      })),
    jobs: (query = {}) => ask((source) => source.jobs(query)),
    job: async (job) => {
      // A search's jobs come from its journal, not its spec.
      const batchSpec = disk.spec();
      const spec = batchSpec.jobs.find((j) => j.name === job) ?? (batchSpec.search ? foldBatch(batchesDataDir, name, batchSpec).state.spec(job) : undefined);
      if (!spec) throw unknownJob(name, job, batchSpec.search ? foldBatch(batchesDataDir, name, batchSpec).jobs : batchSpec.jobs);
      return { ...(await ask((source) => source.job(job))), command: spec.command, workingDir: spec.workingDir };
    },
    logs: (job, { stream = 'stdout', offset = 0, length = chunkBytes } = {}) => ask((source) => source.logs(job, stream, offset, Math.min(length, chunkBytes))),
    async *readLogs(job, { stream = 'stdout', follow = false, signal } = {}) {
      let offset = 0;
      while (!signal?.aborted) {
        const chunk = await batch.logs(job, { stream, offset });
        offset = chunk.offset + chunk.data.length;
        if (chunk.data.length > 0) {
          yield chunk.data;
          continue;
        }
        if (!follow || (await ended(batch, chunk))) return;
        await sleep(100, undefined, signal ? { signal } : {}).catch(() => undefined);
      }
    },
    metrics: (job) => ask((source) => source.metrics(job)),
    compare: async (compareOptions = {}) => {
      const stated = disk.stated();
      // Pareto ranks are of whole trials: a search of several objectives is read whole.
      const several = searchObjectives(stated);
      const ranked = compareOptions.top !== undefined && !compareOptions.where?.length && !several && !readDaemonAccess(dir) ? disk.columns() : undefined;
      const fast = ranked && firstRowsOf(ranked, compareOptions);
      if (fast) return fast;
      return compareJobs(await allJobs(), compareOptions, several ?? statedObjective(stated));
    },
    best: async (askedMetric, askedGoal) => {
      // A settled batch's index answers without every job read; a live or unindexed one is read whole.
      const ranked = readDaemonAccess(dir) ? undefined : disk.columns();
      const jobs = ranked ? undefined : await allJobs();
      const metrics = reportedMetrics(jobs ?? [], ranked?.shape.metricKeys);
      const objective = rankBy(ranked?.summary.stated ?? disk.stated(), metrics, askedMetric, askedGoal);
      const { metric, goal } = objective;
      const fromColumns = ranked && bestInColumns(ranked, metric, goal);
      const winner = fromColumns ? fromColumns.winner : bestJob(jobs ?? (await allJobs()), metric, goal);
      if (!winner?.metrics) return undefined;
      return {
        name: winner.name,
        metric,
        value: winner.metrics[metric] as number,
        goal,
        goalFrom: objective.from,
        params: winner.params,
        metrics: winner.metrics,
        dataDir: winner.dataDir,
        among: (ranked?.statuses ?? jobs!.map((j) => j.status)).filter((status) => status === 'succeed').length,
      };
    },
    front: async () => {
      const objectives = searchObjectives(disk.stated());
      if (!objectives) return undefined;
      return { objectives, trials: (await batch.info()).search?.front ?? [] };
    },
    importance: async (importanceOptions = {}) => {
      const jobs = await allJobs();
      const { metric } = rankBy(disk.stated(), reportedMetrics(jobs), importanceOptions.metric, undefined);
      const rows = valuedParams(jobs, metric);
      if (rows.length < 2)
        throw new HyperctlError('E_USAGE', `batch "${name}": weighing params needs two succeeded jobs with a numeric ${metric} or more; it has ${rows.length}`);
      return { metric, among: rows.length, params: paramImportances(rows, importanceOptions.seed !== undefined ? { seed: importanceOptions.seed } : {}) };
    },
    dashboard: () => {
      const access = readDaemonAccess(dir);
      return access ? `${access.portal}/${access.token}/` : null;
    },
    kill: async (job) => control().kill(job),
    stop: async (stopOptions = {}) => control().stop(stopOptions),
    update: async (change) => control().update(change),
    pause: async (pauseOptions = {}) => control().pause(pauseOptions),
    resume: async () => control().resume(),
    retry: async (job) => control(true).retry(job),
    retryFailed: async () => control(true).retryFailed(),
    prioritize: async (job, priority) => control().prioritize(job, priority),
    add: async (config, addOptions = {}) => control().add(config, resolve(addOptions.baseDir ?? '.')),
    serve: ({ host = 'localhost', port, signal, onServing = () => undefined }) => serveStoredBatch(batchesDataDir, name, { host, port, signal, onServing }),
    fetch: async (job, globs) => fetchJobFiles(disk.spec(), await batch.job(job), globs),
  };
  return batch;
}

/**
 * A comparison's first rows from a batch's index: picked by the column of the metric it sorts by
 * (or in batch order when it sorts by none), only those rows parsed, then compared as all would
 * be, with the shape of all. Undefined when the columns cannot say (a sort by a param, a name or a
 * metric not every job reported as a number): then every job is read.
 */
function firstRowsOf(ranked: IndexColumns, options: CompareOptions): Comparison | undefined {
  const objective = statedObjective(ranked.summary.stated);
  const { sort, desc } = comparisonOrder(options, objective, ranked.shape);
  const places = Array.from(ranked.statuses, (_, place) => place);
  let first: number[];
  if (sort === undefined) first = places.slice(0, options.top);
  else {
    const column = ranked.metrics[sort];
    if (!column || ranked.shape.paramKeys.includes(sort)) return undefined;
    first = firstInOrder(places, (place) => column[place] ?? undefined, desc, options.top);
  }
  const rows = first.map((place) => ranked.row(place));
  if (!rows.every((row) => row !== undefined)) return undefined;
  return compareJobs(rows as JobInfo[], options, objective, ranked.shape);
}

/** The succeeded job with the best value of `metric`, from its column; undefined when the index has none (a value not a number). */
function bestInColumns(ranked: IndexColumns, metric: string, goal: Goal): { winner: JobInfo | undefined } | undefined {
  const column = ranked.metrics[metric];
  if (!column) return undefined;
  const best = bestOf(
    ranked.statuses.keys(),
    (place) => ranked.statuses[place]!,
    (place) => column[place],
    goal,
  );
  if (best === undefined) return { winner: undefined };
  const winner = ranked.row(best);
  return winner ? { winner } : undefined;
}

/** Every metric the jobs reported, with those already known. */
function reportedMetrics(jobs: readonly JobInfo[], known: Iterable<string> = []): Set<string> {
  const metrics = new Set(known);
  for (const job of jobs) for (const metric in job.metrics) metrics.add(metric);
  return metrics;
}

/** True once a job can write no more: it ended, or it never started and nothing runs its batch. */
async function ended(batch: Batch, chunk: LogChunk): Promise<boolean> {
  if (chunk.status === 'running') return false;
  return chunk.status !== 'init' || (await batch.info()).status !== 'running';
}

/**
 * Every batch under the batches folder (folders with a spec), by start time (newest last), with its daemon's address
 * while one serves it. Reads the files, which are current while a batch runs: no daemon is asked.
 * @public
 */
export async function listBatches(options: BatchesOptions = {}): Promise<BatchOverview[]> {
  const batches = listStoredBatches(resolveBatchesDataDir(options.batchesDataDir)).map(
    (stored): BatchOverview => ({
      ...storedBatchInfo(stored),
      source: 'disk',
      portal: stored.runner?.portal ?? null,
    }),
  );
  // Oldest first, the newest last, where the eye ends; batches that never ran before all of them.
  return batches.sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? '') || a.name.localeCompare(b.name));
}
