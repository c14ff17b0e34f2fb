/** A JSON value, as params are stored and handed to jobs. @public */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** A job's parameters: a JSON object, read by the job with `getJobParams()`. @public */
export type JobParams = { readonly [key: string]: JsonValue };

/**
 * What a job needs of a machine. A job runs only where and when this fits the machine's free
 * capacity; a job without `resource` takes a whole machine, as the seed says.
 * @public
 */
export interface ResourceConfig {
  /** CPUs. @defaultValue 0 */
  readonly cpu?: number;
  /** Memory in MB. @defaultValue 0 */
  readonly ram?: number;
  /** GPUs: a whole number, or a share of one GPU below 1 (`0.5`: two such jobs per GPU). @defaultValue 0 (the job sees no GPU) */
  readonly gpu?: number;
}

/**
 * What a machine offers, overriding what is detected (CPUs, total memory, `nvidia-smi`'s GPUs).
 * @public
 */
export interface CapacityConfig {
  /** CPUs. */
  readonly cpu?: number;
  /** Memory in MB. */
  readonly ram?: number;
  /** GPUs: how many (indices 0…n-1), or their indices. */
  readonly gpu?: number | readonly number[];
  /**
   * GPUs that processes other than hyperctl jobs use (another user's, one started by hand), as
   * `nvidia-smi` lists them when the run starts: `avoid` them, `ignore` them, or use those with at
   * least `min_free_mb` MB free. @defaultValue `"avoid"`
   */
  readonly gpu_policy?: GpuPolicyConfig;
}

/**
 * What to do with GPUs that processes other than hyperctl jobs use.
 * @public
 */
export type GpuPolicyConfig = 'avoid' | 'ignore' | { readonly min_free_mb: number };

/**
 * Defaults for every job of a batch: how long it may run and when it runs again.
 * @public
 */
export interface JobDefaultsConfig {
  /** Seconds a job may run; then its process group is killed and it ends `failed` (reason `timeout`). @defaultValue no limit */
  readonly timeout?: number;
  /** Times a job runs again after a failure of a kind in `retry_on`. @defaultValue 1 */
  readonly retries?: number;
  /** Which failures are retried: a lost machine, a non-zero exit, a timeout. @defaultValue `["lost"]` */
  readonly retry_on?: readonly ('lost' | 'failed' | 'timeout')[];
  /** Seconds before the first retry of a failed or timed-out job; doubled each time. @defaultValue 1 */
  readonly retry_backoff?: number;
}

/**
 * When a batch gives up: after `fail` failures (a number, or a percentage of the jobs).
 * @public
 */
export interface HaltConfig {
  /** Failures (after retries) that halt the batch: `3`, or `"10%"` of its jobs. */
  readonly fail: number | string;
  /** `soon`: start no more jobs, let running ones finish; `now`: also kill them. @defaultValue `"soon"` */
  readonly when?: 'soon' | 'now';
}

/**
 * Stopping losing jobs early, from the metric they report as they run (`hyperctl:metrics` lines,
 * `reportMetrics()`, the HTTP route); a job's step is its `_step`, else the count of its reports.
 * @public
 */
export interface EarlyStoppingConfig {
  /** `median`: stop a job whose best so far is worse than the median of the others' at the same step; `asha`: stop one outside the best 1/η at a rung. */
  readonly rule: 'median' | 'asha';
  /** @defaultValue `search.metric` */
  readonly metric?: string;
  /** @defaultValue `search.goal`, else `min` */
  readonly goal?: 'min' | 'max';
  /** No job is stopped before this step. @defaultValue 1 */
  readonly min_steps?: number;
  /** asha's η: rungs at min_steps · η^k, keeping the best 1/η at each. @defaultValue 3 */
  readonly reduction_factor?: number;
  /** median: compare once this many other jobs reached the step. @defaultValue 3 */
  readonly min_trials?: number;
}

/** How a job runs. @public */
export interface ExecutionConfig {
  /** Shell command, run by `/bin/sh -c` in `working_dir`. Params are never put into it. */
  readonly command: string;
  /** Directory the command runs in. @defaultValue the job's `data_dir` */
  readonly working_dir?: string;
  /** Directory for the job's `params.json`, `stdout`, `stderr`. @defaultValue `{batch_data_dir}/{job_name}` */
  readonly data_dir?: string;
  /**
   * Files a remote job leaves that come back into its local data folder when it ends (also when it
   * failed): globs relative to its working directory, e.g. `["model.pt", "plots/*.png"]`.
   */
  readonly outputs?: readonly string[];
  /**
   * Files and folders put in the job's `resources/` folder (in its data folder, on the machine it
   * runs on) before it starts, each under its own name; relative to the config file's folder.
   */
  readonly assets?: readonly string[];
}

/** A folder sent to the remote machines before jobs run (see the README's remote section). @public */
export interface UploadConfig {
  /** The folder, relative to the config file's. */
  readonly dir: string;
  /** More patterns to leave out, as in `.gitignore` (which is read too, with `.hyperctlignore`). */
  readonly exclude?: readonly string[];
  /** Folders left out by default to send anyway: `.git`, `node_modules`, `.venv`, `__pycache__`. */
  readonly include?: readonly ('.git' | 'node_modules' | '.venv' | '__pycache__')[];
  /** Most megabytes the folder may hold. @defaultValue 500 */
  readonly max_mb?: number;
  /** Most files it may hold. @defaultValue 20000 */
  readonly max_files?: number;
  /** Days a snapshot no run used stays on a machine before a run removes it. @defaultValue 14 */
  readonly keep_days?: number;
}

/** One job of a batch, in the seed's format. @public */
export interface JobConfig<P extends JobParams = JobParams> {
  /** Unique in the batch; safe as a file name. @defaultValue derived from the params, stable across runs */
  readonly name?: string;
  /** The job's parameters. */
  readonly params: P;
  /** What the job needs of a machine. */
  readonly resource?: ResourceConfig;
  /** The command and its directories. */
  readonly execution: ExecutionConfig;
  /** Seconds it may run. @defaultValue `job_defaults.timeout` */
  readonly timeout?: number;
  /** Times it runs again after a failure of a kind in `job_defaults.retry_on`. @defaultValue `job_defaults.retries` */
  readonly retries?: number;
}

/** The local backend: jobs run as child processes of the runner. @public */
export interface LocalBackendConfig {
  /** The backend's kind. */
  readonly type: 'local';
  /** Its settings. */
  readonly conf?: {
    /** Jobs running at once. @defaultValue 1 (the seed gives each job the whole machine); no limit but the capacity when jobs declare `resource` */
    readonly parallelism?: number;
    /** Extra environment variables for every job. */
    readonly environments?: { readonly [name: string]: string };
    /** This machine's capacity, when detection should be overridden. */
    readonly capacity?: CapacityConfig;
    /** Accepted so one batch file serves both backends; jobs here run in the folder itself. */
    readonly upload?: UploadConfig;
    /** Accepted so one batch file serves both backends; nothing to clean up here. */
    readonly cleanup?: 'on_success' | 'always' | 'never';
  };
}

/** One SSH machine of the remote backend, as the seed writes it (plus a few optional keys). @public */
export interface RemoteMachineConfig {
  /** Host name, address, or a `Host` alias of `~/.ssh/config` (its HostName, User, Port and IdentityFile apply). */
  readonly hostname: string;
  /** User to log in as. @defaultValue `~/.ssh/config`'s `User`, else the local user */
  readonly username?: string;
  /** Password, when not logging in with a key; never stored or shown. */
  readonly password?: string;
  /** Private key file; `~` is expanded. @defaultValue `~/.ssh/config`'s `IdentityFile`, else `~/.ssh/id_ed25519`, `id_ecdsa`, `id_rsa` */
  readonly ssh_rsa_file?: string;
  /** Passphrase of an encrypted key; never stored or shown. */
  readonly passphrase?: string;
  /** SSH port. @defaultValue `~/.ssh/config`'s `Port`, else 22 */
  readonly port?: number;
  /** Jobs at once on this machine. @defaultValue 1 (a whole machine per job, as the seed says); no limit but the capacity when jobs declare `resource` */
  readonly slots?: number;
  /** Extra environment variables for the jobs on this machine. */
  readonly environments?: { readonly [name: string]: string };
  /** Where job folders go on the machine; `~` is its user's home. @defaultValue `~/hyperctl-batches-data-dir` */
  readonly data_dir?: string;
  /** Its capacity, when detection (over SSH) should be overridden. */
  readonly capacity?: CapacityConfig;
}

/** The remote backend: jobs run on a pool of machines over SSH. @public */
export interface RemoteBackendConfig {
  /** The backend's kind. */
  readonly type: 'remote';
  /** Its settings. */
  readonly conf: {
    /** The machines to run on. */
    readonly machines: readonly RemoteMachineConfig[];
    /**
     * `yes`: refuse hosts whose key is not in the known-hosts file; `accept-new`: record the key of
     * a host seen for the first time (a changed key is always refused). @defaultValue `"yes"`
     */
    readonly host_key_checking?: 'yes' | 'accept-new';
    /** The known-hosts file. @defaultValue `~/.ssh/known_hosts` */
    readonly known_hosts_file?: string;
    /** A folder sent to each machine (once per content) that jobs run in, each in a view of its own. */
    readonly upload?: UploadConfig;
    /** When a job's folder on the machine is removed after it ends. @defaultValue `"never"` */
    readonly cleanup?: 'on_success' | 'always' | 'never';
  };
}

/** The Slurm backend: each job a task of a Slurm job array, submitted from this machine. @public */
export interface SlurmBackendConfig {
  /** The backend's kind. */
  readonly type: 'slurm';
  /** Its settings. */
  readonly conf?: {
    /** `--partition`. */
    readonly partition?: string;
    /** `--account`. */
    readonly account?: string;
    /** `--qos`. */
    readonly qos?: string;
    /** `--time` of jobs without a `timeout` (`30`, `1:00:00`, `2-00:00:00`). */
    readonly time?: string;
    /** More `sbatch` options, passed as they are. */
    readonly sbatch_args?: readonly string[];
    /** Largest array to submit. @defaultValue the cluster's `MaxArraySize` less one */
    readonly max_array_size?: number;
    /** Tasks of one array running at once (`--array=…%N`). @defaultValue no limit but Slurm's */
    readonly parallelism?: number;
    /** Seconds between two looks at the queue (one `squeue` for the whole batch). @defaultValue 1 */
    readonly poll_interval?: number;
  };
}

/** Where jobs run. @public */
export type BackendConfig = LocalBackendConfig | RemoteBackendConfig | SlurmBackendConfig;

/** The HTTP daemon a running batch serves. @public */
export interface DaemonConfig {
  /** Address to bind and to hand to jobs. @defaultValue `"localhost"` */
  readonly host?: string;
  /** HTTP port; 0 picks a free one. @defaultValue 8060 */
  readonly port?: number;
  /** Exit when every job is final. @defaultValue false */
  readonly exit_on_finish?: boolean;
}

/**
 * A batch in the seed's format (`hyperctl run --config batch.json`).
 * @public
 */
export interface BatchConfig<J extends JobConfig = JobConfig> {
  /** The jobs. */
  readonly jobs: readonly J[];
  /** Where the jobs run. @defaultValue `{ type: "local" }` */
  readonly backend?: BackendConfig;
  /** Batch name, safe as a file name; re-running a name resumes it. @defaultValue derived from the jobs */
  readonly name?: string;
  /** The daemon. */
  readonly daemon?: DaemonConfig;
  /** Version of the format. @defaultValue the running hyperctl's version */
  readonly version?: string;
  /** Timeout and retry defaults for every job. */
  readonly job_defaults?: JobDefaultsConfig;
  /** When the batch gives up after failures. @defaultValue never */
  readonly halt?: HaltConfig;
  /** Stop losing jobs early. @defaultValue never */
  readonly early_stopping?: EarlyStoppingConfig;
  /** Give each job a temporary folder of its own, `tmp/` in its data folder, as `TMP` and `TMPDIR`. @defaultValue false */
  readonly independent_tmp?: boolean;
  /** While this file exists no job starts (running ones go on); relative to the config file's folder. */
  readonly pause_file?: string;
}

/** The status of a job; the first four are the original tool's strings. @public */
export type JobStatus = 'init' | 'running' | 'succeed' | 'failed' | 'killed' | 'pruned';
