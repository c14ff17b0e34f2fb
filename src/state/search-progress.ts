import type { SearchObjective, SearchSpec } from '../batch/spec.js';
import { lossesOf, ParetoFront } from '../results/pareto.js';
import { gridSize, parseSearchSpace } from '../search/space.js';
import type { BatchState } from './batch-state.js';
import type { TrialRecord } from './records.js';
import type { BestTrial, FrontTrial, SearchProgress } from '../wire/search-progress.js';

export type { BestTrial, FrontTrial, SearchProgress } from '../wire/search-progress.js';

/** A trial's value of the metric: the mean over its jobs once all ended with one (a pruned job with its last), undefined when one did not. */
export function trialValue(state: BatchState, trial: TrialRecord, metric: string | undefined): { ended: boolean; value: number | undefined } {
  let sum = 0;
  let ok = true;
  for (const { name } of trial.jobs) {
    const job = state.get(name);
    if (!job || job.status === 'init' || job.status === 'running') return { ended: false, value: undefined };
    const value = metric === undefined ? undefined : job.status === 'succeed' || job.status === 'pruned' ? job.metrics?.[metric] : undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) ok = false;
    else sum += value;
  }
  return { ended: true, value: ok ? sum / trial.jobs.length : undefined };
}

/**
 * A trial's value of each objective of a search of several: the mean over its jobs, once all
 * ended; undefined unless every job succeeded with a number for every objective. A pruned trial's
 * values are those of an unfinished run: it is not set beside finished ones on a front.
 */
export function trialValues(state: BatchState, trial: TrialRecord, objectives: readonly SearchObjective[]): { ended: boolean; values: number[] | undefined } {
  const sums = objectives.map(() => 0);
  let ok = true;
  for (const { name } of trial.jobs) {
    const job = state.get(name);
    if (!job || job.status === 'init' || job.status === 'running') return { ended: false, values: undefined };
    if (job.status !== 'succeed') ok = false;
    for (let i = 0; ok && i < objectives.length; i++) {
      const value = job.metrics?.[objectives[i]!.metric];
      if (typeof value !== 'number' || !Number.isFinite(value)) ok = false;
      else sums[i]! += value;
    }
  }
  return { ended: true, values: ok ? sums.map((sum) => sum / trial.jobs.length) : undefined };
}

/** A trial of the front, its values by objective. */
export function frontTrial(trial: TrialRecord, values: readonly number[], objectives: readonly SearchObjective[]): FrontTrial {
  return {
    trial: trial.n,
    values: Object.fromEntries(objectives.map((o, i) => [o.metric, values[i]!])),
    params: trial.params,
    jobs: trial.jobs.map((j) => j.name),
  };
}

/** Jobs each trial of a search runs: one per combination of its grid axes (one for the grid algorithm, which walks them itself). */
export function jobsPerTrial(search: SearchSpec): number {
  return search.algorithm === 'grid' ? 1 : gridSize(parseSearchSpace(search.space).space);
}

/** Whether `value` of trial `n` beats `best` by `goal`: ties go to the earlier trial. */
export function beats(goal: 'min' | 'max', value: number, n: number, best: BestTrial | undefined | null): boolean {
  return !best || (goal === 'min' ? value < best.value : value > best.value) || (value === best.value && n < best.trial);
}

/** The trials a search plans: its budget as steered, else its own (a finite space's size when none was given). */
export function plannedTrials(search: SearchSpec, state: BatchState): number | undefined {
  return state.steering.maxTrials ?? search.maxTrials;
}

/**
 * A search's progress from its state, `perTrial` jobs a trial ({@link jobsPerTrial}: the live run
 * knows it, a reader works it out), with `best` given by a caller that keeps it as trials end (the
 * live run; null for none yet), else found among the trials that ended.
 */
export function searchProgress(
  search: SearchSpec,
  state: BatchState,
  perTrial: number,
  best?: BestTrial | null,
  front?: readonly FrontTrial[],
): SearchProgress {
  const trials = state.trials();
  const budget = plannedTrials(search, state);
  const planned = budget === undefined ? null : Math.max(budget, trials.length);
  const { objectives } = search;
  let found = best ?? null;
  if (best === undefined && !objectives)
    for (const trial of trials) {
      const { value } = trialValue(state, trial, search.metric);
      if (value !== undefined && beats(search.goal, value, trial.n, found))
        found = { trial: trial.n, value, params: trial.params, jobs: trial.jobs.map((j) => j.name) };
    }
  return {
    proposed: trials.length,
    planned,
    plannedJobs: planned === null ? null : state.counts().total + (planned - trials.length) * perTrial,
    ...(search.metric !== undefined ? { metric: search.metric } : {}),
    goal: search.goal,
    best: found,
    ...(objectives ? { objectives: objectives.map(({ metric, goal }) => ({ metric, goal })), front: front ?? frontOfTrials(state, objectives) } : {}),
  };
}

/** The Pareto front among a search's trials that ended with every objective's value. */
function frontOfTrials(state: BatchState, objectives: readonly SearchObjective[]): FrontTrial[] {
  const front = new ParetoFront<FrontTrial>();
  for (const trial of state.trials()) {
    const { values } = trialValues(state, trial, objectives);
    if (values) front.offer(frontTrial(trial, values, objectives), lossesOf(values, objectives), trial.n);
  }
  return front.items();
}
