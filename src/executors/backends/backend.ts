import type { BackendSpec, BatchSpec } from '../../batch/spec.js';
import type { Upload } from '../../upload/upload.js';
import type { UploadSpec } from '../../batch/upload-spec.js';
import type { Executor, ExecutorHealth } from '../executor.js';
import type { FetchedFiles } from '../ssh/transfers.js';

export type { FetchedFiles };

/** What making a backend's executors takes besides the batch. */
export interface ExecutorSettings {
  readonly killGraceMs?: number;
  /** Resolved already: the folder of GPU lease files on every machine. */
  readonly gpuLockDir?: string;
  /** Its machines' default slots: 1 (a whole machine per job), or no limit but the capacity when jobs declare resources. */
  readonly defaultSlots: number;
  readonly upload?: Upload;
  readonly onUploadProgress?: (host: string, sent: number, total: number) => void;
  readonly onWarning?: (message: string) => void;
  /** Told when a machine's connection is lost, back, or lost for good (as an SSH executor's `onHealth` is). */
  readonly onHealth?: (host: string, health: ExecutorHealth, reason: string) => void;
}

/**
 * What a kind of backend (local, remote, Slurm) decides for a run, in one place: nothing outside
 * this folder and the config asks which kind a batch's backend is.
 */
export interface Backend {
  /** Its kind, as messages name it. */
  readonly name: BackendSpec['type'];
  /** Whether a machine's capacity was set in the config, for jobs to be placed by; a cluster that places jobs itself has none. */
  readonly capacitySet: boolean;
  /** Whether its scheduler places jobs itself (their resources are its options): the run's capacity does not. */
  readonly placesJobs: boolean;
  /** Jobs run as processes of this machine: a dead runner's jobs are found and ended here by pid and process group. */
  readonly runsHere: boolean;
  /** Jobs' folders are on machines of their own: their working folders are not looked for here. */
  readonly foldersElsewhere: boolean;
  /** The batch's parallelism as steered sets the slots of this machine (by its host); without it, it caps all machines together. */
  readonly parallelismHost?: string;
  /** Variables every job gets from the backend (the local machine's `environments`). */
  readonly environment: Readonly<Record<string, string>>;
  /** The folder sent to the machines before jobs run, if any. */
  readonly upload?: UploadSpec;
  /** Its executors. */
  executors(spec: BatchSpec, settings: ExecutorSettings): Executor[];
  /** What the user should hear before a run starts. */
  warnings(spec: BatchSpec, daemon: boolean): string[];
  /**
   * `job fetch`: brings files of a job that ran on one of its machines home, where its machines
   * have files of their own; `E_USAGE` when the job has not run on one, or `globs` is empty.
   */
  fetchFiles?(job: FetchedJob, globs: readonly string[]): Promise<FetchedFiles>;
}

/** A job whose files are fetched: where it ran, and what names its folders there. */
export interface FetchedJob {
  readonly host: string | null | undefined;
  readonly status: string;
  readonly batchName: string;
  readonly name: string;
  readonly dataDir: string;
  readonly workingDirAsWritten?: string;
}
