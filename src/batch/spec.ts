import type { UploadSpec } from './upload-spec.js';
import type { CapacityConfig, JobParams, JsonValue, RemoteMachineConfig, ResourceConfig, SlurmBackendConfig } from './types.js';

/** The Slurm backend's settings, as the config writes them. */
export type SlurmConf = NonNullable<SlurmBackendConfig['conf']>;

/** A job with every default filled in: what the runner, the store and executors work with. */
export interface JobSpec {
  readonly name: string;
  readonly params: JobParams;
  readonly resource?: ResourceConfig;
  readonly command: string;
  readonly workingDir: string;
  /** `working_dir` as written, for machines with file systems of their own. */
  readonly workingDirAsWritten?: string;
  readonly dataDir: string;
  /** Globs of files a remote job's machine sends back when it ends. */
  readonly outputs?: readonly string[];
  /** Absolute paths of files and folders put in its `resources/` folder, where it runs, before it starts. */
  readonly assets?: readonly string[];
  /** Hash of what decides the job's outcome; a success counts on resume only under the same hash. */
  readonly hash: string;
  /** How long it may run, in milliseconds. */
  readonly timeoutMs?: number;
  /** Times it runs again after a failure of a kind in the batch's `retryOn`. */
  readonly retries: number;
}

/** How a search's trials become jobs: the template's fields with defaults filled in. */
export interface TrialTemplate {
  /** The command as written, placeholders and all: each trial's params fill it. */
  readonly command: string;
  /** Resolved `working_dir`, when the template has one (else each job runs in its data folder). */
  readonly workingDir?: string;
  readonly workingDirAsWritten?: string;
  readonly outputs?: readonly string[];
  readonly assets?: readonly string[];
  readonly resource?: ResourceConfig;
  readonly timeoutMs?: number;
  readonly retries: number;
}

/** A search with every default filled in. */
/** One objective of a search of several: a metric and whether lower or higher is better. */
export interface SearchObjective {
  readonly metric: string;
  readonly goal: 'min' | 'max';
}

export interface SearchSpec {
  readonly algorithm: 'grid' | 'random' | 'sobol' | 'tpe' | 'command';
  /** For `command`: the sampler's shell command, the folder it runs in, and how long an answer may take. */
  readonly sampler?: { readonly command: string; readonly cwd: string; readonly askTimeoutMs: number };
  /** The metric trials are ranked by; a search without one (or with `objectives`) only samples by it. */
  readonly metric?: string;
  readonly goal: 'min' | 'max';
  /** A search of several objectives (2 to 4; then no `metric`): trials are judged by Pareto dominance. */
  readonly objectives?: readonly SearchObjective[];
  readonly maxTrials?: number;
  readonly maxDurationMs?: number;
  readonly target?: number;
  readonly seed: number;
  /** Trials drawn from the quasi-random design before TPE models the results. */
  readonly startupTrials: number;
  /** TPE with joint kernels over the params every trial has, rather than one param at a time. */
  readonly multivariate?: boolean;
  /** The params as written: distributions, choices, constants and grid axes. */
  readonly space: Readonly<Record<string, JsonValue>>;
  /** Trials' params to run before any drawn (`search.initial`), checked against the space, in its order. */
  readonly initial?: readonly Readonly<Record<string, JsonValue>>[];
  readonly template: TrialTemplate;
}

/** Kinds of failure a retry may follow. */
export type RetryCause = 'lost' | 'failed' | 'timeout';

export type BackendSpec =
  | {
      readonly type: 'local';
      /** Undefined when neither the config nor the caller set it. */
      readonly parallelism?: number;
      readonly environments: Readonly<Record<string, string>>;
      readonly capacity?: CapacityConfig;
      /** `upload` or `outputs` were given, which a local run has no use for: said once when it starts. */
      readonly remoteOnlyKeys?: readonly string[];
    }
  | {
      readonly type: 'remote';
      readonly machines: readonly RemoteMachineConfig[];
      readonly hostKeyChecking: 'yes' | 'accept-new';
      readonly knownHostsFile: string;
      readonly upload?: UploadSpec;
      readonly cleanup: 'on_success' | 'always' | 'never';
    }
  | { readonly type: 'slurm'; readonly conf: SlurmConf };

/** A batch with every default filled in. */
export interface BatchSpec {
  readonly name: string;
  readonly version: string;
  /** `{batches_data_dir}/{name}`: spec, journal and the default job folders. */
  readonly dataDir: string;
  readonly backend: BackendSpec;
  /** `port` only when the config sets one: else the daemon takes 8060, or any free port when 8060 is taken. */
  readonly daemon: { readonly host: string; readonly port?: number; readonly exitOnFinish: boolean };
  readonly jobs: readonly JobSpec[];
  readonly retryOn: readonly RetryCause[];
  readonly retryBackoffMs: number;
  /** Stops losing jobs early, from their live metrics. */
  readonly earlyStopping?: EarlyStopping;
  /** Set when the batch is a search: its jobs are its trials', proposed as it runs and journalled. */
  readonly search?: SearchSpec;
  /** Failures after which the batch halts, and how. */
  readonly halt?: { readonly failures: number; readonly when: 'soon' | 'now' };
  /** Each job gets `tmp/` in its data folder as `TMP` and `TMPDIR`. */
  readonly privateTmp?: boolean;
  /** While this file exists no job starts. */
  readonly pauseFile?: string;
}

/** How losing trials are stopped early, with every default filled in. */
export interface EarlyStopping {
  readonly rule: 'median' | 'asha';
  readonly metric: string;
  readonly goal: 'min' | 'max';
  /** Grace: no trial is stopped before this step. */
  readonly minSteps: number;
  /** ASHA's η: a trial goes on past a rung only in the best 1/η of the values recorded there. */
  readonly reductionFactor: number;
  /** Median rule: compare only once this many other trials reached the step. */
  readonly minTrials: number;
}
