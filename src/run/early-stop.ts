import type { BatchSpec } from '../batch/spec.js';
import { type PruneDecision, Pruner } from '../search/pruning.js';
import type { ReportRecord } from '../state/records.js';
import { MetricWatch } from './metric-watch.js';

/** What early stopping needs of its run. */
export interface EarlyStopRun {
  /** Journals a report; false when it could not be (the run is ending). */
  record(report: ReportRecord): boolean;
  /** Whether `job` runs now. */
  isRunning(job: string): boolean;
  /** Ends a running job, as `job kill` does. */
  kill(job: string): void;
  /** Says something the user should know. */
  warn(message: string): void;
  /** Early stopping cannot do its work: the first jobs did not report its metric. */
  giveUp(reason: string): void;
}

/**
 * A batch's early stopping: judges each running job's reports of its metric as they are read, and
 * stops those the rule says lose; watches that jobs report the metric at all.
 */
export class EarlyStop {
  readonly #metric: string;
  readonly #pruner: Pruner;
  /** Jobs stopped early, and why. */
  readonly #pruned = new Map<string, PruneDecision>();
  /** Whether jobs report the metric, where no search watches it already. */
  readonly #watch: MetricWatch | undefined;
  readonly #run: EarlyStopRun;

  /** Early stopping for `spec`, or undefined when it has none. */
  static for(spec: BatchSpec, run: EarlyStopRun): EarlyStop | undefined {
    return spec.earlyStopping ? new EarlyStop(spec, run) : undefined;
  }

  private constructor(spec: BatchSpec, run: EarlyStopRun) {
    const rule = spec.earlyStopping!;
    this.#metric = rule.metric;
    this.#pruner = new Pruner(rule);
    this.#watch = rule.metric !== spec.search?.metric ? new MetricWatch(rule.metric, 'early_stopping.metric', 'job') : undefined;
    this.#run = run;
  }

  /**
   * Goes on from where earlier runs left it: their reports, in order; a job that runs again
   * (`again`) is judged afresh.
   */
  resume(reports: readonly ReportRecord[], again: Iterable<string>): void {
    for (const report of reports) this.#pruner.report(report.job, report.step, report.value);
    for (const job of again) this.#pruner.restart(job);
  }

  /** A job runs again (retried): what it reported before counts no more. */
  restart(job: string): void {
    this.#pruned.delete(job);
    this.#pruner.restart(job);
  }

  /** Why `job` was stopped early, if it was. */
  prunedBecause(job: string): string | undefined {
    return this.#pruned.get(job)?.reason;
  }

  /**
   * Judges a running job's report: journalled first (a re-run replays what this run decided on),
   * then the job is killed if it loses, and recorded as pruned with the rule's reason.
   */
  judge(job: string, step: number, values: Readonly<Record<string, number | string>>): void {
    const value = values[this.#metric];
    if (!this.#run.isRunning(job) || this.#pruned.has(job) || typeof value !== 'number' || !Number.isFinite(value)) return;
    if (!this.#run.record({ e: 'report', job, step, value })) return;
    const decision = this.#pruner.report(job, step, value);
    if (!decision) return;
    this.#pruned.set(job, decision);
    this.#run.kill(job);
  }

  /** Takes in a job that succeeded: a metric it did not report is said, and after the first few, early stopping gives up. */
  succeeded(job: string, reported: readonly string[]): void {
    const note = this.#watch?.ended(job, reported);
    if (note) this.#run.warn(note);
    const reason = this.#watch?.stopReason();
    if (reason) this.#run.giveUp(reason);
  }
}
