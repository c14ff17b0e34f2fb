import type { JobParams, JobStatus } from '../batch/types.js';
import type { Metrics } from '../metrics/metrics-line.js';
import type { StoredJob } from '../batch/stored-job.js';

/** A job was started (`pid`/`ticks` identify its process group leader, to clean up after a crash). */
export interface StartRecord {
  readonly e: 'start';
  readonly job: string;
  readonly hash: string;
  readonly at: number;
  readonly pid?: number;
  readonly ticks?: number | null;
  readonly host?: string;
  /** The job's id in a scheduler that runs it (e.g. Slurm's `123_4`), to follow it again after a crash. */
  readonly handle?: string;
  /** True while the scheduler only holds it in its queue: it has not started. */
  readonly queued?: boolean;
}

/** A job ended. */
export interface ExitRecord {
  readonly e: 'exit';
  readonly job: string;
  readonly hash: string;
  readonly status: Exclude<JobStatus, 'init' | 'running'>;
  readonly code: number | null;
  readonly signal: string | null;
  readonly startedAt: number;
  readonly at: number;
  readonly host?: string;
  readonly reason?: string;
  /** The last value of each metric the job reported. */
  readonly metrics?: Metrics;
}

/** A run of the batch began: jobs that have not succeeded (all of them, with `force`) are to run again. */
export interface RunRecord {
  readonly e: 'run';
  readonly at: number;
  readonly force?: boolean;
}

/**
 * A search proposed a trial, journalled before any of its jobs starts: its number, its coordinates
 * and params, its jobs (one per grid combination), and what the sampler had seen. A re-run runs
 * an unfinished trial's jobs with these params again; it never draws them anew.
 */
export interface TrialRecord {
  readonly e: 'trial';
  readonly at: number;
  /** Counts from 1. */
  readonly n: number;
  readonly point: Readonly<Record<string, number>>;
  readonly params: JobParams;
  readonly jobs: readonly { readonly name: string; readonly params: JobParams }[];
  /** Trials that had ended when it was proposed, and those still running (whose results it did not know). */
  readonly seen: number;
  readonly running: readonly number[];
  /** Its params were given, not drawn: from `search.initial`, or queued by `batch add`. */
  readonly seeded?: 'initial' | 'added';
}

/**
 * A running job's report of the metric early stopping judges it on, journalled as it is judged: a
 * re-run replays them, so its rungs and medians are those the interrupted run had.
 */
export interface ReportRecord {
  readonly e: 'report';
  readonly job: string;
  readonly step: number;
  readonly value: number;
}

/**
 * A job of a live batch was asked to run again (`job retry`): it goes back to `init` and waits
 * for a slot like any other; a later run that finds this as its last record runs it too.
 */
export interface RetryRecord {
  readonly e: 'retry';
  readonly job: string;
  readonly hash: string;
  readonly at: number;
}

/**
 * A change to how a live batch runs, asked through its daemon; a later run of the batch replays
 * every one of them, in order. Each record holds one change.
 */
export interface SteerRecord {
  readonly e: 'steer';
  readonly at: number;
  /** Jobs at once: the whole batch's, or with `host`, that machine's. */
  readonly parallelism?: number;
  readonly host?: string;
  /** A search's trial budget. */
  readonly maxTrials?: number;
  /** Paused (no job starts) or resumed. */
  readonly paused?: boolean;
  /** The pause is the batch's pause file's: it exists. */
  readonly byFile?: true;
  /** A waiting job's priority: higher starts first; equal ones in batch order. */
  readonly priority?: { readonly job: string; readonly value: number };
  /** Trials queued for a search (`batch add`): proposed with exactly these params, in order, before any drawn one. */
  readonly trials?: readonly JobParams[];
}

/** Jobs added to a live batch (`batch add`), as the batch's spec file stores jobs. */
export interface AddRecord {
  readonly e: 'add';
  readonly at: number;
  readonly jobs: readonly StoredJob[];
}

/** A record of the journal: the events a batch's state is folded from. */
export type JournalRecord = RunRecord | TrialRecord | ReportRecord | StartRecord | ExitRecord | RetryRecord | SteerRecord | AddRecord;

/** The records that concern one job. */
export type JobRecord = StartRecord | ExitRecord | RetryRecord;
