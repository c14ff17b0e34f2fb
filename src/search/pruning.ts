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

/** The q-th quantile (0–1) of `count` sorted values (`at(i)` the i-th), linearly interpolated (numpy's default). */
function quantile(count: number, at: (i: number) => number, q: number): number {
  const position = q * (count - 1);
  const lo = Math.floor(position);
  const hi = Math.ceil(position);
  return at(lo) + (at(hi) - at(lo)) * (position - lo);
}

/** Numbers kept in order as they come and go: a quantile of 100,000 of them is read, not sorted. */
class SortedValues {
  readonly values: number[] = [];

  /** Where `value` goes: after every smaller one. */
  #place(value: number): number {
    let lo = 0;
    let hi = this.values.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.values[mid]! < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  add(value: number): void {
    this.values.splice(this.#place(value), 0, value);
  }

  /** The values strictly between `low` and `high`. */
  between(low: number, high: number): number[] {
    let from = this.#place(low);
    while (this.values[from] === low) from++;
    return this.values.slice(from, this.#place(high));
  }

  delete(value: number): void {
    const at = this.#place(value);
    if (this.values[at] === value) this.values.splice(at, 1);
  }

  /** The q-th quantile, one occurrence of `without` left out when given (it must be among them). */
  quantile(q: number, without?: number): number {
    const skip = without === undefined ? this.values.length : this.#place(without);
    const count = this.values.length - (without === undefined ? 0 : 1);
    return quantile(count, (i) => this.values[i < skip ? i : i + 1]!, q);
  }
}

/**
 * The values trials had at one step, for the median rule: each trial's best so far as it
 * reported the step. It answers for every trial that reached the step only while each of them
 * reported at it (`complete`); a trial that stepped over it (steps 2 then 4, asked at 3) makes
 * the rule look at every curve instead, as it always could.
 */
interface StepValues {
  readonly sorted: SortedValues;
  complete: boolean;
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
  /** ASHA: per rung, the value each trial had when it reached it, and those values in order. */
  readonly #rungs = new Map<number, { readonly byTrial: Map<string, number>; readonly sorted: SortedValues }>();
  /** The median rule: per step reported, the trials' values at it (see {@link StepValues}). */
  readonly #steps = new Map<number, StepValues>();
  /** The steps of {@link Pruner.#steps}, in order: those a trial steps over are found, not scanned for. */
  readonly #stepOrder = new SortedValues();
  /** The highest step any trial has reported. */
  #lastStep = Number.NEGATIVE_INFINITY;
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
    this.#forget(trial);
    this.#curves.delete(trial);
    this.#stopped.delete(trial);
    for (const { byTrial, sorted } of this.#rungs.values()) {
      const value = byTrial.get(trial);
      if (value === undefined) continue;
      byTrial.delete(trial);
      sorted.delete(value);
    }
  }

  /** Takes a trial's values out of the steps' (before its curve starts anew): its last best at each step it reported. */
  #forget(trial: string): void {
    const curve = this.#curves.get(trial);
    if (!curve || this.#rule.rule !== 'median') return;
    curve.steps.forEach((step, i) => {
      if (curve.steps[i + 1] !== step) this.#steps.get(step)?.sorted.delete(curve.best[i]!);
    });
  }

  /**
   * Keeps a trial's best so far at a step it reported. `before` is its report before this one, if
   * any: a report of the same step again replaces that one's value.
   */
  #keep(before: { readonly step: number; readonly best: number } | undefined, step: number, best: number): void {
    if (this.#rule.rule !== 'median') return;
    let values = this.#steps.get(step);
    if (!values) {
      // A step first reported now: every trial that is past it already went over it.
      values = { sorted: new SortedValues(), complete: this.#lastStep <= step };
      this.#steps.set(step, values);
      this.#stepOrder.add(step);
    }
    // Steps it went past without a report now miss a value for it.
    if (before) for (const at of this.#stepOrder.between(before.step, step)) this.#steps.get(at)!.complete = false;
    if (before?.step === step) values.sorted.delete(before.best);
    values.sorted.add(best);
    this.#lastStep = Math.max(this.#lastStep, step);
  }

  /** Takes a trial's report of the metric at a step; returns a decision when the trial is to stop. */
  report(trial: string, step: number, value: number): PruneDecision | undefined {
    if (!Number.isFinite(value) || this.#stopped.has(trial)) return undefined;
    const curve = this.#curves.get(trial) ?? { steps: [], best: [] };
    this.#curves.set(trial, curve);
    // Steps only go forward; a report for an earlier step (a restarted job) starts its curve anew.
    if (curve.steps.length > 0 && step < curve.steps[curve.steps.length - 1]!) {
      this.#forget(trial);
      curve.steps.length = 0;
      curve.best.length = 0;
    }
    const loss = this.#loss(value);
    const best = curve.best.length > 0 ? Math.min(curve.best[curve.best.length - 1]!, loss) : loss;
    const before = curve.steps.length > 0 ? { step: curve.steps.at(-1)!, best: curve.best.at(-1)! } : undefined;
    curve.steps.push(step);
    curve.best.push(best);
    this.#keep(before, step, best);
    if (step < this.#rule.minSteps) return undefined;
    const decision = this.#rule.rule === 'asha' ? this.#asha(trial, step, best) : this.#median(trial, step, best);
    if (decision) this.#stopped.add(trial);
    return decision;
  }

  #median(trial: string, step: number, best: number): PruneDecision | undefined {
    const { count, median } = this.#othersAt(trial, step, best);
    if (count < Math.max(1, this.#rule.minTrials)) return undefined;
    if (best <= median) return undefined;
    const { metric } = this.#rule;
    return {
      step,
      value: this.#shown(best),
      cutoff: this.#shown(median),
      reason: `pruned by the median rule at step ${step}: best ${metric} ${this.#shown(best)} ${this.#rule.goal === 'min' ? '>' : '<'} median ${this.#shown(median)} of ${count} other trials`,
    };
  }

  /**
   * How many other trials reached `step`, and the median of their best values at it: from the
   * step's values kept in order (the trial's own, `own`, left out) while they answer for every
   * trial, else from every curve.
   */
  #othersAt(trial: string, step: number, own: number): { count: number; median: number } {
    const kept = this.#steps.get(step);
    // The trial's own value is among the step's: it has just reported it.
    if (kept?.complete) {
      const count = kept.sorted.values.length - 1;
      return { count, median: count > 0 ? kept.sorted.quantile(0.5, own) : Number.NaN };
    }
    const others: number[] = [];
    for (const other of this.#curves.keys()) {
      if (other === trial) continue;
      const at = this.#bestAt(other, step);
      if (at !== undefined) others.push(at);
    }
    others.sort((a, b) => a - b);
    return { count: others.length, median: others.length > 0 ? quantile(others.length, (i) => others[i]!, 0.5) : Number.NaN };
  }

  #asha(trial: string, step: number, best: number): PruneDecision | undefined {
    const { minSteps, reductionFactor: eta, metric } = this.#rule;
    // The highest rung the trial reached, once: as Ray's asynchronous rule, a trial is judged at
    // the first report past each rung, against the trials that reached it before.
    const rung = rungsUpTo(minSteps, eta, step).at(-1);
    if (rung === undefined) return undefined;
    const recorded = this.#rungs.get(rung) ?? { byTrial: new Map<string, number>(), sorted: new SortedValues() };
    this.#rungs.set(rung, recorded);
    if (recorded.byTrial.has(trial)) return undefined;
    const cutoff = recorded.byTrial.size > 0 ? recorded.sorted.quantile(1 / eta) : undefined;
    recorded.byTrial.set(trial, best);
    recorded.sorted.add(best);
    if (cutoff === undefined || best <= cutoff) return undefined;
    return {
      step,
      value: this.#shown(best),
      cutoff: this.#shown(cutoff),
      reason: `pruned by asha at step ${step}: ${metric} ${this.#shown(best)} ${this.#rule.goal === 'min' ? '>' : '<'} rung cutoff ${this.#shown(cutoff)} (rung ${rung}: the best 1/${eta} of the ${recorded.byTrial.size - 1} trials that reached it before)`,
    };
  }
}
