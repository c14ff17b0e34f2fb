import type { BatchSpec, JobSpec, SearchSpec } from '../batch/spec.js';
import type { JsonValue } from '../batch/types.js';
import { jobNameFromParams } from '../batch/names.js';
import { proposeTrial, type TrialView } from '../search/propose.js';
import { gridCombinations, jobParams, parseSearchSpace, type SearchSpace } from '../search/space.js';
import type { BatchState } from '../state/batch-state.js';
import type { TrialRecord } from '../state/records.js';

/** The best trial of a search so far. */
export interface BestTrial {
  readonly trial: number;
  readonly value: number;
  readonly params: Readonly<Record<string, JsonValue>>;
  readonly jobs: readonly string[];
}

/**
 * A search while it runs: reads its trials and their results from the batch's state (so what it
 * knows is what the journal says), proposes the next trial, and says when a budget is spent.
 */
export class SearchDriver {
  readonly search: SearchSpec;
  readonly space: SearchSpace;
  readonly #state: BatchState;
  readonly #combos: Record<string, JsonValue>[];

  constructor(spec: BatchSpec & { search: SearchSpec }, state: BatchState) {
    this.search = spec.search;
    this.space = parseSearchSpace(spec.search.space).space;
    this.#state = state;
    // The grid algorithm walks the grid itself: each combination is a trial, not crossed again.
    this.#combos = spec.search.algorithm === 'grid' ? [{}] : gridCombinations(this.space);
  }

  /** Each trial's value of the metric: the mean over its jobs once all succeeded; Infinity-like when one did not. */
  #value(trial: TrialRecord): { ended: boolean; value: number | undefined } {
    const metric = this.search.metric;
    let sum = 0;
    let ok = true;
    for (const { name } of trial.jobs) {
      const job = this.#state.get(name);
      if (!job || job.status === 'init' || job.status === 'running') return { ended: false, value: undefined };
      const value = metric === undefined ? undefined : job.status === 'succeed' ? job.metrics?.[metric] : undefined;
      if (typeof value !== 'number' || !Number.isFinite(value)) ok = false;
      else sum += value;
    }
    return { ended: true, value: ok ? sum / trial.jobs.length : undefined };
  }

  /** The trials as the sampler sees them, in the order they were proposed. */
  views(): TrialView[] {
    return this.#state.trials().map((trial) => {
      const { ended, value } = this.#value(trial);
      const loss = !ended ? undefined : value === undefined ? Number.POSITIVE_INFINITY : this.search.goal === 'min' ? value : -value;
      return { point: trial.point, params: trial.params, loss };
    });
  }

  /** Jobs of proposed trials that have not ended: the search proposes only when fewer than its slots. */
  unfinishedJobs(): number {
    let n = 0;
    for (const trial of this.#state.trials())
      for (const { name } of trial.jobs) {
        const status = this.#state.get(name)?.status;
        if (status === 'init' || status === 'running') n++;
      }
    return n;
  }

  /** Why the search asks for no more trials, or undefined while it goes on. */
  stopReason(startedAt: number, now = Date.now()): string | undefined {
    const trials = this.#state.trials().length;
    const { maxTrials, maxDurationMs, target } = this.search;
    const best = this.best();
    if (target !== undefined && best && (this.search.goal === 'min' ? best.value <= target : best.value >= target))
      return `target ${target} reached by trial ${best.trial} (${this.search.metric} = ${best.value})`;
    if (maxTrials !== undefined && trials >= maxTrials) return `max_trials reached (${maxTrials})`;
    if (maxDurationMs !== undefined && now - startedAt >= maxDurationMs) return `max_duration reached (${maxDurationMs / 1000} s)`;
    return undefined;
  }

  /** The next trial's record, or undefined when the space has no untried point left. */
  next(at = Date.now()): TrialRecord | undefined {
    const trials = this.#state.trials();
    const n = trials.length + 1;
    const views = this.views();
    const proposal = proposeTrial(this.space, this.search, n, views);
    if (!proposal) return undefined;
    const base = `trial-${String(n).padStart(4, '0')}`;
    const jobs = this.#combos.map((combo) => ({
      name: Object.keys(combo).length === 0 ? base : `${base},${jobNameFromParams(combo)}`,
      params: this.search.algorithm === 'grid' ? proposal.params : jobParams(this.space, proposal.params, combo),
    }));
    const running = trials.flatMap((trial, i) => (views[i]!.loss === undefined ? [trial.n] : []));
    return { e: 'trial', at, n, point: proposal.point, params: proposal.params, jobs, seen: trials.length - running.length, running };
  }

  /** The job specs of a trial, as the batch's state holds them. */
  jobsOf(trial: TrialRecord): JobSpec[] {
    return trial.jobs.map(({ name }) => this.#state.spec(name)!);
  }

  /** The trial with the best value of the metric, among those that ended with one. */
  best(): BestTrial | undefined {
    let best: BestTrial | undefined;
    for (const trial of this.#state.trials()) {
      const { value } = this.#value(trial);
      if (value === undefined) continue;
      if (!best || (this.search.goal === 'min' ? value < best.value : value > best.value))
        best = { trial: trial.n, value, params: trial.params, jobs: trial.jobs.map((j) => j.name) };
    }
    return best;
  }
}
