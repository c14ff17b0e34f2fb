import type { JobParams, ResourceConfig } from '../batch/types.js';
import type { Capacity } from './capacity.js';
import type { GpuLease } from './gpu-lease.js';
import type { GpuState } from './gpu-probe.js';

/**
 * Everything an executor needs to start one job. The runner has already created the job's local
 * data folder and its `params.json`.
 * @public
 */
export interface JobLaunch {
  /** The job's name, unique in its batch. */
  readonly name: string;
  /** The batch's name. */
  readonly batchName: string;
  /** Shell command, run by `sh -c`. */
  readonly command: string;
  /** The job's params, also in `params.json` and `HYPERCTL_JOB_PARAMS`. */
  readonly params: JobParams;
  /** Directory the command runs in (on this machine). */
  readonly workingDir: string;
  /**
   * `working_dir` as the config wrote it, unresolved, or undefined when it wrote none: for
   * executors whose machines have file systems of their own.
   */
  readonly workingDirAsWritten?: string;
  /** The job's data folder. */
  readonly dataDir: string;
  /**
   * Files and folders (absolute paths on this machine) to put in the job's `resources/` folder, in
   * its data folder on the machine it runs on, before it starts: each under its own name, afresh
   * for each run.
   */
  readonly assets?: readonly string[];
  /** Give the job a temporary folder of its own, `tmp/` in its data folder where it runs, as `TMP` and `TMPDIR`. */
  readonly privateTmp?: boolean;
  /** Globs (relative to the working directory) of files to bring back into `dataDir` when the job ends, for executors on other machines. */
  readonly outputs?: readonly string[];
  /** What the job asked of a machine, for executors whose scheduler places jobs itself. */
  readonly resource?: ResourceConfig;
  /** The job's time limit, for executors whose scheduler enforces one itself. */
  readonly timeoutMs?: number;
  /** Variables to add to the job's environment (the `HYPERCTL_*` set and the backend's own). */
  readonly env: Readonly<Record<string, string>>;
  /** Local file that receives the job's whole stdout. */
  readonly stdoutPath: string;
  /** Local file that receives the job's whole stderr. */
  readonly stderrPath: string;
  /** Called with each chunk of output as it arrives, when the caller wants it live. */
  readonly onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  /**
   * Called when a scheduler has queued the job under `handle` before it runs (the handle is
   * journalled at once, so a later run can follow the job).
   */
  readonly onQueued?: (handle: string) => void;
  /**
   * The lease the job must take on its GPUs before it starts, on machines that other runs share
   * (the local machine, SSH machines); a scheduler that places GPUs itself ignores it.
   */
  readonly gpuLease?: GpuLease;
  /** Called once the job's process runs, with what identifies it where that is known. */
  readonly onSpawn?: (process: { pid?: number; startTicks?: number | null; handle?: string }) => void;
}

/**
 * How one run of a job ended, by `outcome`, each case with what it can say. A non-zero exit is a
 * result, not an error. Build them with the factories of `job-exit.ts` in executors of this
 * package; an executor of your own returns these literals.
 * @public
 */
export type JobExit =
  /** Its process ended by itself: `exitCode` 0 is a success, anything else (or a signal) a failure. */
  | { readonly outcome: 'exited'; readonly exitCode: number | null; readonly signal: NodeJS.Signals | null; readonly reason?: string }
  /** It ended because its `signal` was aborted (a kill, a stop, Ctrl-C, a timeout), with what its process said. */
  | { readonly outcome: 'killed'; readonly exitCode: number | null; readonly signal: NodeJS.Signals | null; readonly reason?: string }
  /** It could not run, or ended with no outcome anyone could read: `reason` says why. */
  | { readonly outcome: 'failed'; readonly reason: string; readonly exitCode: number | null }
  /** Its machine, or the connection to it, was lost: nothing it did; it may run again on another. */
  | { readonly outcome: 'lost'; readonly reason: string }
  /** Left running to its scheduler on an interrupt (see `Executor.detach`), for a later run to follow. */
  | { readonly outcome: 'detached' }
  /** It did not start: another run on the machine holds its GPUs (see {@link GpuLease}); it is placed again. */
  | { readonly outcome: 'lease-busy'; readonly reason: string };

/**
 * The shape executors returned before {@link JobExit} had an `outcome`: still taken from an
 * executor of your own, for this release.
 * @deprecated Return a {@link JobExit} with its `outcome`.
 * @public
 */
export interface LegacyJobExit {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly killed: boolean;
  readonly reason?: string;
  readonly lost?: boolean;
  readonly detached?: boolean;
  readonly leaseBusy?: boolean;
}

/**
 * What putting a run's upload on a machine took.
 * @public
 */
export interface UploadReport {
  /** The snapshot's id: a hash of the tree. */
  readonly snapshot: string;
  /** False when the machine had the snapshot already (one round trip). */
  readonly sent: boolean;
  /** Bytes of files sent. */
  readonly bytes: number;
  /** Wall time, in milliseconds. */
  readonly ms: number;
}

/**
 * Files moved between this machine and another, in all.
 * @public
 */
export interface TransferReport {
  readonly files: number;
  readonly bytes: number;
  /** Wall time, in milliseconds. */
  readonly ms: number;
  /** Matches that were not brought because they are no regular files (links, FIFOs, sockets, devices); each is said in its job's stderr. */
  readonly skipped?: number;
}

/**
 * Whether an executor can take jobs: `up`; `down` for now (reconnecting); `gone` for good.
 * @public
 */
export type ExecutorHealth = 'up' | 'down' | 'gone';

/**
 * Runs jobs somewhere: the local machine, an SSH host, a cluster. The scheduler gives each executor
 * at most `slots` jobs at a time.
 * @public
 */
export interface Executor {
  /** Where jobs run, as shown to users (`local`, a host name). */
  readonly host: string;
  /** How many jobs it runs at once. */
  readonly slots: number;
  /**
   * Runs one job to its end. When `signal` aborts, ends the job's whole process group (SIGTERM,
   * then SIGKILL after a grace period) and resolves with `killed: true`. Rejects only on a fault
   * of the executor itself. The runner never calls it with a signal already aborted.
   */
  run(job: JobLaunch, signal: AbortSignal): Promise<JobExit | LegacyJobExit>;
  /**
   * Gets ready (connects, checks the machine); called once before any job. A rejection leaves
   * this executor out of the run, which goes on with the others.
   */
  open?(): Promise<void>;
  /**
   * What its machine offers jobs that declare `resource`, after `open()`; asked only when some job
   * does. Without it the executor counts as unlimited but for its slots.
   */
  capacity?(): Promise<Capacity>;
  /** Its machine's GPUs as they are now: leases held on them by any run there, and processes of others; after `open()`. */
  gpus?(): Promise<readonly GpuState[]>;
  /** Whether it can take jobs now. @defaultValue `up` */
  readonly health?: ExecutorHealth;
  /** What `open()` did to put the run's upload on its machine, for executors that send one. */
  readonly upload?: UploadReport | undefined;
  /** Jobs' outputs brought back from its machine so far, for executors that fetch them. */
  readonly fetched?: TransferReport;
  /**
   * Follows a job that an earlier, dead runner started (`handle` as it was reported to `onSpawn`):
   * resolves with how it ends, or undefined when it is gone without an outcome and must run again.
   */
  reattach?(job: JobLaunch, handle: string, signal: AbortSignal): Promise<JobExit | LegacyJobExit | undefined>;
  /**
   * Ends what may be left of a job that an earlier, dead runner started on this executor (its
   * processes on a remote machine), before the job runs again.
   */
  endOrphan?(batchName: string, jobName: string): Promise<void>;
  /**
   * Called when the run is interrupted and the user chose to leave jobs running: from now on an
   * aborted job is let go (resolved with `detached: true`) instead of killed, where its scheduler
   * keeps it.
   */
  detach?(): void;
  /**
   * Gives its jobs a way to the run's daemon, after `open()`, for executors whose jobs run on
   * other machines: an SSH executor has the machine's sshd forward a port on the machine's own
   * loopback to the daemon, and hands its jobs that portal. Resolves with what the user should
   * hear when its jobs cannot reach the daemon that way (undefined when they can).
   */
  reachDaemon?(daemon: DaemonEndpoint): Promise<string | undefined>;
  /** Releases connections and the like; called once when the batch ends. */
  close?(): Promise<void>;
}

/**
 * Where a run's daemon listens, for executors whose jobs reach it from other machines
 * ({@link Executor.reachDaemon}).
 * @public
 */
export interface DaemonEndpoint {
  /** The address it listens on, on the runner's machine (a loopback address unless `daemon.host` says otherwise). */
  readonly host: string;
  /** The port it listens on. */
  readonly port: number;
  /** The run's token: the first segment of a portal's path. */
  readonly token: string;
  /** Whether other machines can reach it where it listens: `daemon.host` is not a loopback address. */
  readonly reachable: boolean;
}
