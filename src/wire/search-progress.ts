import type { JsonValue } from '../batch/types.js';

/** The best trial of a search so far. @public */
export interface BestTrial {
  readonly trial: number;
  /** The metric's value: the mean over the trial's jobs. */
  readonly value: number;
  readonly params: Readonly<Record<string, JsonValue>>;
  readonly jobs: readonly string[];
}

/**
 * A trial on the Pareto front of a search of several objectives: no other trial is as good in
 * every objective and better in one.
 * @public
 */
export interface FrontTrial {
  readonly trial: number;
  /** Each objective's value: the mean over the trial's jobs, all of which succeeded. */
  readonly values: Readonly<Record<string, number>>;
  readonly params: Readonly<Record<string, JsonValue>>;
  readonly jobs: readonly string[];
}

/**
 * How far a search has come, as every view shows it: trials proposed so far, the trials planned
 * (its trial budget as steered, or the size of a finite space; null when only time or a target
 * ends it), the jobs that makes, and the best trial so far — or, for a search of several
 * objectives, the Pareto front so far.
 * @public
 */
export interface SearchProgress {
  readonly proposed: number;
  readonly planned: number | null;
  /** Jobs once every planned trial is proposed (null when `planned` is): what progress counts against. */
  readonly plannedJobs: number | null;
  readonly metric?: string;
  readonly goal: 'min' | 'max';
  /** Null in a search of several objectives: see `front`. */
  readonly best: BestTrial | null;
  /** A search of several objectives: each, in the config's order. */
  readonly objectives?: readonly { readonly metric: string; readonly goal: 'min' | 'max' }[];
  /** A search of several objectives: the trials of its Pareto front so far, in trial order. */
  readonly front?: readonly FrontTrial[];
}
