import type { JsonValue } from '../batch/types.js';
import type { TransferReport, UploadReport } from '../executors/executor.js';
import type { JobResult } from '../state/job-result.js';
import type { FrontTrial } from '../wire/search-progress.js';

/**
 * Job counts of a run.
 * @public
 */
export interface BatchCounts {
  /** Jobs in the batch. */
  readonly total: number;
  /** Jobs that exited 0 (this run or, when skipped, an earlier one). */
  readonly succeed: number;
  /** Jobs that exited non-zero or could not start. */
  readonly failed: number;
  /** Jobs ended by a kill, a batch stop or an abort. */
  readonly killed: number;
  /** Jobs stopped early by `early_stopping` because their metric was losing: not a failure. */
  readonly pruned: number;
  /** Jobs never started (only after an interruption). */
  readonly init: number;
  /** Jobs not started because an earlier run had succeeded with them (included in `succeed`). */
  readonly skipped: number;
}

/**
 * The outcome of {@link runBatch}.
 * @public
 */
export interface BatchResult {
  /** The batch's name. */
  readonly name: string;
  /** `{batches_data_dir}/{name}`. */
  readonly dataDir: string;
  /** `succeed` when every job succeeded (or was pruned), `interrupted` after an abort, else `failed`. */
  readonly status: 'succeed' | 'failed' | 'interrupted';
  /** Counts per status. */
  readonly counts: BatchCounts;
  /** Every job, in batch order. */
  readonly jobs: readonly JobResult[];
  /** Start of this run, in milliseconds since the epoch. */
  readonly startedAt: number;
  /** End of this run. */
  readonly endedAt: number;
  /** Wall time of this run in milliseconds. */
  readonly durationMs: number;
  /** For a search: how many trials it has, why it stopped asking, and its best trial. */
  readonly search?: SearchResult;
  /** Per machine, what was sent there (the upload) and brought back (jobs' outputs), when anything was. */
  readonly transfers?: readonly MachineTransfers[];
}

/** What moved between this machine and one of the backend's. @public */
export interface MachineTransfers {
  readonly host: string;
  readonly upload?: UploadReport;
  readonly outputs?: TransferReport;
}

/** How a search ended. @public */
export interface SearchResult {
  readonly algorithm: 'grid' | 'random' | 'sobol' | 'tpe' | 'command';
  /** Trials proposed so far, over every run of the search. */
  readonly trials: number;
  /** Why it proposed no more: `max_trials reached (100)`, `target 0.05 reached by trial 17 (loss = 0.04)`, `interrupted`, … */
  readonly stoppedBecause: string;
  readonly metric?: string;
  readonly goal: 'min' | 'max';
  /** The trial with the best value of the metric (the mean over its jobs), when one has a value. */
  readonly best?: { readonly trial: number; readonly value: number; readonly params: Readonly<Record<string, JsonValue>>; readonly jobs: readonly string[] };
  /** A search of several objectives: each, in the config's order (it has no `metric` and no `best`). */
  readonly objectives?: readonly { readonly metric: string; readonly goal: 'min' | 'max' }[];
  /** A search of several objectives: its Pareto front, the trials no other beats in every objective, in trial order. */
  readonly front?: readonly FrontTrial[];
}

/**
 * What {@link runBatch} reports as it goes, through `onEvent`.
 * @public
 */
export type BatchEvent =
  | {
      readonly type: 'batch:start';
      readonly batch: string;
      readonly dataDir: string;
      readonly total: number;
      readonly toRun: number;
      /** Jobs not to run: an earlier run succeeded with them. */
      readonly skipped: number;
      /** Jobs not to run: early stopping pruned them in an earlier run (a loss, not a failure). */
      readonly pruned: number;
      readonly slots: number;
      /** The daemon's URL, when it serves one. */
      readonly portal?: string;
    }
  | { readonly type: 'job:start'; readonly job: string; readonly host: string; readonly pid?: number; readonly at: number }
  | { readonly type: 'job:output'; readonly job: string; readonly stream: 'stdout' | 'stderr'; readonly chunk: Buffer }
  | { readonly type: 'job:exit'; readonly job: JobResult }
  /**
   * A running job reported metrics (a `hyperctl:metrics` line on its stdout, read within a fifth
   * of a second, or a report posted to the daemon): `step` is its `_step`, else the count of its
   * reports so far.
   */
  | { readonly type: 'job:metrics'; readonly job: string; readonly step: number; readonly values: Readonly<Record<string, number | string>> }
  | { readonly type: 'batch:end'; readonly result: BatchResult }
  /** The batch has ended and the daemon keeps serving it until the run's signal aborts. */
  | {
      readonly type: 'daemon:serving';
      readonly url: string;
      /** The dashboard's address; it holds the batch's token. */
      readonly dashboard: string;
    }
  /**
   * No more jobs start: the batch was stopped (`hyperctl batch stop`, the daemon's stop route) or
   * its `halt` policy gave up; with `kill`, the running jobs are being killed, else they finish.
   */
  | { readonly type: 'batch:stopping'; readonly reason: string; readonly kill: boolean }
  /**
   * The live batch was steered (`batch update`, `pause`, `resume`, `job retry`, `job priority`),
   * or starts paused as an earlier run left it: `change` says what, as a sentence; `queued` is how
   * many jobs it added to those planned to run (retries, jobs added), or took from them when
   * negative (a search's trial budget lowered).
   */
  | { readonly type: 'batch:steer'; readonly change: string; readonly paused: boolean; readonly queued: number }
  /** A machine cannot take jobs: left out at the start, or lost during the run. */
  | { readonly type: 'host:down'; readonly host: string; readonly reason: string }
  /** How far the upload to a machine has come (bytes of its tar stream), a few times a second while it is sent. */
  | { readonly type: 'host:upload-progress'; readonly host: string; readonly sent: number; readonly total: number }
  /** The run's upload is on a machine: sent, or found there already (`sent: false`). */
  | { readonly type: 'host:upload'; readonly host: string; readonly snapshot: string; readonly sent: boolean; readonly bytes: number; readonly ms: number }
  /** A machine is back after it was lost. */
  | { readonly type: 'host:up'; readonly host: string }
  /** A job whose machine was lost runs again (`attempt` counts the retries so far). */
  | { readonly type: 'job:retry'; readonly job: string; readonly host: string; readonly reason: string; readonly attempt: number }
  /** Something the user should know before jobs run (e.g. remote jobs could not reach the daemon). */
  | { readonly type: 'warning'; readonly message: string };
