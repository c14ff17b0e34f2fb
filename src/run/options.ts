import type { HaltConfig } from '../batch/types.js';
import type { Executor } from '../executors/executor.js';
import type { BatchEvent } from './events.js';

/**
 * Options of {@link runBatch}. The CLI's flags map onto these one by one.
 * @public
 */
export interface RunBatchOptions {
  /** Folder holding every batch's state. @defaultValue `HYPERCTL_BATCHES_DATA_DIR`, else `~/hyperctl-batches-data-dir` */
  readonly batchesDataDir?: string;
  /** Aborting it stops starting jobs, kills running ones, records them, and rejects with `E_ABORTED`. */
  readonly signal?: AbortSignal;
  /** Receives every {@link BatchEvent}, synchronously; an exception thrown here stops the batch and is rethrown. */
  readonly onEvent?: (event: BatchEvent) => void;
  /** Jobs at once on the local backend, or tasks of one array at once on Slurm; overrides `backend.conf.parallelism`. @defaultValue 1 (locally; as capacity allows when jobs declare resources) */
  readonly parallelism?: number;
  /** Run every job again, also those an earlier run finished successfully. @defaultValue false */
  readonly force?: boolean;
  /** Relative `working_dir` and `data_dir` resolve against it. @defaultValue `process.cwd()` */
  readonly baseDir?: string;
  /** The batch's name, over the config's `name` (a re-run under the same name resumes it). */
  readonly name?: string;
  /**
   * Run a search again although its space, algorithm, seed, metric or goal changed since it started
   * (else `E_SEARCH_CHANGED`). @defaultValue false
   */
  readonly continueSearch?: boolean;
  /**
   * Run a batch whose config no longer lists jobs an earlier run of it had (else `E_BATCH_CHANGED`):
   * those jobs leave its views (`batch show`, `compare`); their folders stay. @defaultValue false
   */
  readonly dropJobs?: boolean;
  /** Batch name when the config has none. @defaultValue `batch-` and a hash of the jobs */
  readonly defaultName?: string;
  /** Emit `job:output` events with the jobs' output as it comes (it still goes to the files). @defaultValue false */
  readonly captureOutput?: boolean;
  /** Time between SIGTERM and SIGKILL when a job is killed. @defaultValue 5000 */
  readonly killGraceMs?: number;
  /**
   * The folder of GPU lease files on every machine of the run (the local one, SSH machines): runs
   * that are to respect each other's GPUs must use the same. @defaultValue `HYPERCTL_LOCK_DIR`, else `/run/lock/hyperctl`, else `/tmp/hyperctl-locks`
   */
  readonly gpuLockDir?: string;
  /**
   * Serve the batch's HTTP API at `daemon.host:daemon.port` while it runs (jobs get its portal in
   * `HYPERCTL_SERVER_PORTAL`). When `exitOnFinish` is false, the run keeps serving after the last
   * job until `signal` aborts, then resolves with the batch's result. @defaultValue false
   */
  readonly daemon?: boolean;
  /** Overrides `daemon.port` (0 picks a free port). @defaultValue the config's, else 8060 */
  readonly port?: number;
  /** Overrides `daemon.exit_on_finish`. @defaultValue the config's, else false */
  readonly exitOnFinish?: boolean;
  /**
   * What aborting `signal` does to jobs a cluster scheduler runs (the Slurm backend): `cancel`
   * them, or `leave` them queued and running, for a later run of the batch to follow.
   * @defaultValue `"cancel"`
   */
  readonly onInterrupt?: 'cancel' | 'leave';
  /** Overrides the config's `halt`: give up after this many failures (or this percentage of the jobs). */
  readonly halt?: HaltConfig;
  /** Run on these executors instead of the ones `backend` describes. */
  readonly executors?: readonly Executor[];
}
