import type { EarlyStopping } from '../batch/spec.js';

/** A decision to stop a trial: when, on what value, against what cutoff, and why in words. */
export interface PruneDecision {
  readonly step: number;
  readonly value: number;
  readonly cutoff: number;
  readonly reason: string;
}

/** Rungs of ASHA: min_steps · η^k, as many as a run of `maxStep` steps can reach. */
export function rungsUpTo(minSteps: number, reductionFactor: number, maxStep: number): number[] {
  const rungs: number[] = [];
  for (let r = Math.max(1, minSteps); r <= maxStep && rungs.length < 64; r *= reductionFactor) rungs.push(r);
  return rungs;
}

/** The q-th quantile (0–1) of values, linearly interpolated (numpy's default). */
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

/**
 * Decides, report by report, which trials to stop: the median rule or ASHA (stop-only), on each
 * trial's best value so far. Decisions depend only on the reports and their order, so replaying
 * the journalled reports of an interrupted run rebuilds the same rungs, medians and decisions.
 */
export class Pruner {
  readonly #rule: EarlyStopping;
  /** Per trial: its steps in order and its best value up to each. */
  readonly #curves = new Map<string, { steps: number[]; best: number[] }>();
  /** ASHA: per rung, the value each trial had when it reached it. */
  readonly #rungs = new Map<number, Map<string, number>>();
  readonly #stopped = new Set<string>();

  constructor(rule: EarlyStopping) {
    this.#rule = rule;
  }

  /** Lower is better, whatever the goal. */
  #loss(value: number): number {
    return this.#rule.goal === 'min' ? value : -value;
  }

  /** A loss as the metric's value, to 4 significant digits: what a reason shows. */
  #shown(loss: number): number {
    return Number((this.#rule.goal === 'min' ? loss : -loss).toPrecision(4));
  }

  /** A trial's best value (as a loss) at or before `step`, when it reached that step. */
  #bestAt(trial: string, step: number): number | undefined {
    const curve = this.#curves.get(trial);
    if (!curve || curve.steps.length === 0 || curve.steps[curve.steps.length - 1]! < step) return undefined;
    let lo = 0;
    let hi = curve.steps.length - 1;
    // The last report at or before the step.
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (curve.steps[mid]! <= step) lo = mid;
      else hi = mid - 1;
    }
    return curve.steps[lo]! <= step ? curve.best[lo] : undefined;
  }

  /**
   * Forgets a trial that is to run again from its start (a re-run of a job an interrupted run left
   * unfinished): it is judged afresh, as its new reports come.
   */
  restart(trial: string): void {
    this.#curves.delete(trial);
    this.#stopped.delete(trial);
    for (const recorded of this.#rungs.values()) recorded.delete(trial);
  }

  /** Takes a trial's report of the metric at a step; returns a decision when the trial is to stop. */
  report(trial: string, step: number, value: number): PruneDecision | undefined {
    if (!Number.isFinite(value) || this.#stopped.has(trial)) return undefined;
    const curve = this.#curves.get(trial) ?? { steps: [], best: [] };
    this.#curves.set(trial, curve);
    // Steps only go forward; a report for an earlier step (a restarted job) starts its curve anew.
    if (curve.steps.length > 0 && step < curve.steps[curve.steps.length - 1]!) {
      curve.steps.length = 0;
      curve.best.length = 0;
    }
    const loss = this.#loss(value);
    const best = curve.best.length > 0 ? Math.min(curve.best[curve.best.length - 1]!, loss) : loss;
    curve.steps.push(step);
    curve.best.push(best);
    if (step < this.#rule.minSteps) return undefined;
    const decision = this.#rule.rule === 'asha' ? this.#asha(trial, step, best) : this.#median(trial, step, best);
    if (decision) this.#stopped.add(trial);
    return decision;
  }

  #median(trial: string, step: number, best: number): PruneDecision | undefined {
    const others: number[] = [];
    for (const other of this.#curves.keys()) {
      if (other === trial) continue;
      const at = this.#bestAt(other, step);
      if (at !== undefined) others.push(at);
    }
    if (others.length < Math.max(1, this.#rule.minTrials)) return undefined;
    const median = quantile(others, 0.5);
    if (best <= median) return undefined;
    const { metric } = this.#rule;
    return {
      step,
      value: this.#shown(best),
      cutoff: this.#shown(median),
      reason: `pruned by the median rule at step ${step}: best ${metric} ${this.#shown(best)} ${this.#rule.goal === 'min' ? '>' : '<'} median ${this.#shown(median)} of ${others.length} other trials`,
    };
  }

  #asha(trial: string, step: number, best: number): PruneDecision | undefined {
    const { minSteps, reductionFactor: eta, metric } = this.#rule;
    // The highest rung the trial reached, once: as Ray's asynchronous rule, a trial is judged at
    // the first report past each rung, against the trials that reached it before.
    const rung = rungsUpTo(minSteps, eta, step).at(-1);
    if (rung === undefined) return undefined;
    const recorded = this.#rungs.get(rung) ?? new Map<string, number>();
    this.#rungs.set(rung, recorded);
    if (recorded.has(trial)) return undefined;
    const cutoff = recorded.size > 0 ? quantile([...recorded.values()], 1 / eta) : undefined;
    recorded.set(trial, best);
    if (cutoff === undefined || best <= cutoff) return undefined;
    return {
      step,
      value: this.#shown(best),
      cutoff: this.#shown(cutoff),
      reason: `pruned by asha at step ${step}: ${metric} ${this.#shown(best)} ${this.#rule.goal === 'min' ? '>' : '<'} rung cutoff ${this.#shown(cutoff)} (rung ${rung}: the best 1/${eta} of the ${recorded.size - 1} trials that reached it before)`,
    };
  }
}
