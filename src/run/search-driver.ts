import { join } from 'node:path';
import { batchFiles } from '../batch/batch-folder.js';
import type { BatchSpec, JobSpec, SearchObjective, SearchSpec } from '../batch/spec.js';
import { HyperctlError } from '../errors.js';
import { givenTrial, sampledKeys } from '../search/space-values.js';
import { withoutControlCharacters } from '../text/control-characters.js';
import type { JsonValue } from '../batch/types.js';
import { jobNameFromParams } from '../batch/names.js';
import { trialJobName } from '../search/trial-names.js';
import { type Proposal, proposeTrial, type TrialView, valued } from '../search/propose.js';
import type { SearchStop } from './search-stop.js';
import { gridCombinations, jobParams, parseSearchSpace, type SearchSpace } from '../search/space.js';
import type { BatchState } from '../state/batch-state.js';
import type { TrialRecord } from '../state/records.js';
import { type BestTrial, beats, type FrontTrial, frontTrial, type SearchProgress, searchProgress, trialValue, trialValues } from '../state/search-progress.js';
import { lossesOf, ParetoFront } from '../results/pareto.js';
import { ExternalSampler } from './external-sampler.js';
import { MetricWatch } from './metric-watch.js';

/** A trial as a sampler of the user's is told of it. */
interface SamplerTrial {
  readonly trial: number;
  readonly params: Readonly<Record<string, JsonValue>>;
  readonly value: number | null;
  readonly values?: Readonly<Record<string, number>> | null;
  readonly status: string;
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
  /** The user's sampler, for `algorithm: command`. */
  readonly #sampler: ExternalSampler | undefined;
  /** Trials whose outcome the sampler was told. */
  readonly #told = new Set<number>();
  /** Trials not known to have ended, in the order they were proposed; those before are looked at no more. */
  readonly #open = new Set<TrialRecord>();
  /** How many of the state's trials have been taken into {@link SearchDriver.#open}. */
  #seen = 0;
  /** Trials proposed with given params so far: from `search.initial`, and queued by `batch add`. */
  readonly #seeded = { initial: 0, added: 0 };
  /** Every trial as proposals see it, in order: its loss set once, when it ends. A grid's walk reads none: it keeps none. */
  readonly #views: TrialView[] = [];
  readonly #keepsViews: boolean;
  #best: BestTrial | undefined;
  /** A search of several objectives: the Pareto front so far. */
  readonly #front: ParetoFront<FrontTrial> | undefined;
  /** The trial budget as steered while it runs, over the search's own. */
  #maxTrials: number | undefined;
  /** Whether trials report the metrics the search learns from. */
  readonly #watches: readonly MetricWatch[];
  /** Warnings for the run to say, as trials end. */
  readonly #notes: string[] = [];

  constructor(spec: BatchSpec & { search: SearchSpec }, state: BatchState) {
    this.search = spec.search;
    this.space = parseSearchSpace(spec.search.space).space;
    this.#state = state;
    // The grid algorithm walks the grid itself: each combination is a trial, not crossed again.
    this.#combos = spec.search.algorithm === 'grid' ? [{}] : gridCombinations(this.space);
    this.#keepsViews = spec.search.algorithm !== 'grid';
    const { metric, objectives } = spec.search;
    this.#watches = objectives
      ? objectives.map((o, i) => new MetricWatch(o.metric, `search.metrics[${i}].name`, 'trial'))
      : metric !== undefined
        ? [new MetricWatch(metric, 'search.metric', 'trial')]
        : [];
    this.#front = objectives ? new ParetoFront() : undefined;
    const sampler = spec.search.sampler;
    this.#sampler = sampler
      ? new ExternalSampler(sampler.command, { cwd: sampler.cwd, stderrPath: join(spec.dataDir, batchFiles.samplerLog), timeoutMs: sampler.askTimeoutMs })
      : undefined;
  }

  /** Jobs each trial runs: one per grid combination (one for the grid algorithm itself). */
  get jobsPerTrial(): number {
    return this.#combos.length;
  }

  /**
   * Each trial for the sampler: its number, params, value of the metric (in a search of several
   * objectives, `values`: each objective's, or null), and status.
   */
  #history(views: readonly TrialView[]): SamplerTrial[] {
    const { goal, objectives } = this.search;
    return views.map(({ params, loss }, i) => {
      const status = loss === undefined ? 'running' : valued(loss) ? 'succeed' : 'failed';
      if (objectives) {
        const values = typeof loss === 'object' ? Object.fromEntries(lossesOf(loss, objectives).map((value, k) => [objectives[k]!.metric, value])) : null;
        return { trial: i + 1, params, value: null, values, status };
      }
      return { trial: i + 1, params, value: typeof loss === 'number' && valued(loss) ? (goal === 'min' ? loss : -loss) : null, status };
    });
  }

  /** Tells the sampler of every trial that ended since it was last told. */
  tellSampler(): void {
    if (!this.#sampler) return;
    for (const entry of this.#history(this.views())) {
      if (entry.status === 'running' || this.#told.has(entry.trial)) continue;
      this.#told.add(entry.trial);
      this.#sampler.tell(entry);
    }
  }

  async #askSampler(n: number, views: readonly TrialView[]): Promise<{ point: Record<string, number>; params: Record<string, JsonValue> } | SearchStop> {
    this.tellSampler();
    const { metric, goal, objectives, seed, space } = this.search;
    const stated = objectives ? { metric: null, goal, metrics: objectives.map((o) => ({ name: o.metric, goal: o.goal })) } : { metric: metric ?? null, goal };
    const answer = await this.#sampler!.ask({ trial: n, ...stated, seed, space, history: this.#history(views) });
    if (typeof answer === 'object' && answer !== null && 'stop' in answer) {
      const why = withoutControlCharacters(String((answer as { stop: unknown }).stop));
      return { kind: 'sampler-stopped', why: why.length > 300 ? `${why.slice(0, 300)}…` : why };
    }
    const params = typeof answer === 'object' && answer !== null ? (answer as { params?: unknown }).params : undefined;
    if (typeof params !== 'object' || params === null || Array.isArray(params))
      throw new HyperctlError(
        'E_SAMPLER',
        `the search's sampler answered ${JSON.stringify(answer).slice(0, 200)} to ask ${n}; expected {"params": {…}} or {"stop": "why"}`,
      );
    const given = givenTrial(this.space, params as Record<string, unknown>);
    if (!('missing' in given)) return given;
    const { missing, extra, wrong } = given;
    if (missing.length > 0 || extra.length > 0)
      throw new HyperctlError(
        'E_SAMPLER',
        `the search's sampler gave trial ${n} the params ${Object.keys(params).join(', ') || 'none'}; expected ${sampledKeys(this.space).join(', ')}${missing.length ? ` (missing ${missing.join(', ')})` : ''}${extra.length ? ` (not in the space: ${extra.join(', ')})` : ''}`,
      );
    throw new HyperctlError('E_SAMPLER', `the search's sampler gave trial ${n} params outside the space: ${wrong.map(withoutControlCharacters).join('; ')}`);
  }

  /** Tells the sampler of the last trials and ends it. */
  async close(): Promise<void> {
    this.tellSampler();
    await this.#sampler?.close();
  }

  /** Each trial's value of the metric: see {@link trialValue}. */
  #value(trial: TrialRecord): { ended: boolean; value: number | undefined } {
    return trialValue(this.#state, trial, this.search.metric);
  }

  /**
   * The trials as proposals see them, in the order they were proposed: kept as trials end, so a
   * look costs the trials still running, not all of them.
   */
  views(): readonly TrialView[] {
    this.#refresh();
    return this.#views;
  }

  /**
   * Takes in the trials proposed since, and drops those that ended from the open ones, keeping the
   * best as they end: each trial is looked at while it runs and once more, never again, so a
   * search of a million trials costs what each does, not the square of their number. (A trial's
   * jobs end once per run; a new run makes a new driver.)
   */
  #refresh(): void {
    const trials = this.#state.trials();
    for (; this.#seen < trials.length; this.#seen++) {
      const trial = trials[this.#seen]!;
      this.#open.add(trial);
      if (trial.seeded) this.#seeded[trial.seeded]++;
      if (this.#keepsViews) this.#views.push({ point: trial.point, params: trial.params, loss: undefined });
    }
    for (const trial of this.#open) {
      if (this.search.objectives) {
        if (this.#endedOfSeveral(trial, this.search.objectives)) this.#open.delete(trial);
        continue;
      }
      const { ended, value } = this.#value(trial);
      if (!ended) continue;
      this.#open.delete(trial);
      // Trials are numbered from 1 in the order they were proposed.
      const loss = value === undefined ? Number.POSITIVE_INFINITY : this.search.goal === 'min' ? value : -value;
      if (this.#keepsViews) this.#views[trial.n - 1] = { point: trial.point, params: trial.params, loss };
      this.#watchMetric(trial);
      if (value === undefined) continue;
      // Ties go to the earlier trial, whichever ended first.
      if (beats(this.search.goal, value, trial.n, this.#best))
        this.#best = { trial: trial.n, value, params: trial.params, jobs: trial.jobs.map((j) => j.name) };
    }
  }

  /** In a search of several objectives: takes in `trial` if it ended (its losses, the front), and says whether it did. */
  #endedOfSeveral(trial: TrialRecord, objectives: readonly SearchObjective[]): boolean {
    const { ended, values } = trialValues(this.#state, trial, objectives);
    if (!ended) return false;
    const losses = values && lossesOf(values, objectives);
    if (this.#keepsViews) this.#views[trial.n - 1] = { point: trial.point, params: trial.params, loss: losses ?? Number.POSITIVE_INFINITY };
    this.#watchMetric(trial);
    if (values) this.#front!.offer(frontTrial(trial, values, objectives), losses!, trial.n);
    return true;
  }

  /**
   * Takes in a trial that ended: one whose jobs all ended well tells whether trials report the
   * metric. A pruned job counts for a search of one metric (early stopping read it); with several
   * objectives it was stopped before it could report the ones measured at the end, so only
   * succeeded jobs do.
   */
  #watchMetric(trial: TrialRecord): void {
    if (this.#watches.length === 0) return;
    const reported = new Set<string>();
    for (const { name } of trial.jobs) {
      const job = this.#state.get(name);
      if (!job || (job.status !== 'succeed' && (job.status !== 'pruned' || this.search.objectives))) return;
      for (const key of Object.keys(job.metrics ?? {})) reported.add(key);
    }
    for (const watch of this.#watches) {
      const note = watch.ended(String(trial.n), [...reported]);
      if (note) this.#notes.push(note);
    }
  }

  /** Warnings said since the last call: trials that ended without the metric. */
  takeNotes(): string[] {
    this.#refresh();
    return this.#notes.splice(0);
  }

  /** Why the search should propose no more because its trials do not report its metric, if so. */
  get blind(): string | undefined {
    this.#refresh();
    for (const watch of this.#watches) {
      const reason = watch.stopReason();
      if (reason) return reason;
    }
    return undefined;
  }

  /** Sets the trial budget from now on. */
  setMaxTrials(maxTrials: number): void {
    this.#maxTrials = maxTrials;
  }

  /** The trial budget in force. */
  get maxTrials(): number | undefined {
    return this.#maxTrials ?? this.search.maxTrials;
  }

  /** Jobs of proposed trials that have not ended: the search proposes only when fewer than its slots. */
  unfinishedJobs(): number {
    this.#refresh();
    let n = 0;
    for (const trial of this.#open)
      for (const { name } of trial.jobs) {
        const status = this.#state.get(name)?.status;
        if (status === 'init' || status === 'running') n++;
      }
    return n;
  }

  /** Why the search asks for no more trials, or undefined while it goes on. */
  stopReason(startedAt: number, now = Date.now()): SearchStop | undefined {
    const trials = this.#state.trials().length;
    const { maxDurationMs, target } = this.search;
    const maxTrials = this.#maxTrials ?? this.search.maxTrials;
    const blind = this.blind;
    if (blind) return { kind: 'unreported', reason: blind };
    const best = this.best();
    if (target !== undefined && best && (this.search.goal === 'min' ? best.value <= target : best.value >= target))
      return { kind: 'target', target, trial: best.trial, metric: this.search.metric, value: best.value };
    if (maxTrials !== undefined && trials >= maxTrials) return { kind: 'max-trials', maxTrials };
    if (maxDurationMs !== undefined && now - startedAt >= maxDurationMs) return { kind: 'max-duration', ms: maxDurationMs };
    return undefined;
  }

  /**
   * The next trial's record, or why there is none: the space has no untried point left, or the
   * sampler (for `algorithm: command`) said stop. Rejects with `E_SAMPLER` when that sampler fails.
   */
  async next(at = Date.now()): Promise<TrialRecord | SearchStop> {
    const trials = this.#state.trials();
    const n = trials.length + 1;
    // What the proposal knows, taken at one moment: the record says which trials were still running then.
    const views = this.views();
    const running = [...this.#open].map((trial) => trial.n);
    const seed = this.#nextSeed();
    const proposal =
      seed ?? (this.#sampler ? await this.#askSampler(n, views) : (proposeTrial(this.space, this.search, n, views) ?? ({ kind: 'exhausted' } as const)));
    if ('kind' in proposal) return proposal;
    const jobs = this.#combos.map((combo) => ({
      name: trialJobName(n, Object.keys(combo).length === 0 ? undefined : jobNameFromParams(combo)),
      params: this.search.algorithm === 'grid' ? proposal.params : jobParams(this.space, proposal.params, combo),
    }));
    const seeded = seed ? { seeded: seed.seeded } : {};
    return { e: 'trial', at, n, point: proposal.point, params: proposal.params, jobs, seen: trials.length - running.length, running, ...seeded };
  }

  /**
   * The next trial whose params were given, if one waits: `search.initial`'s first, then those
   * `batch add` queued, each once whatever runs came between (the journal's trials say which
   * were proposed). A queued one the space cannot take (a journal edited by hand) is passed over.
   */
  #nextSeed(): (Proposal & { readonly seeded: 'initial' | 'added' }) | undefined {
    const initial = this.search.initial ?? [];
    if (this.#seeded.initial < initial.length) return { ...(givenTrial(this.space, initial[this.#seeded.initial]!) as Proposal), seeded: 'initial' };
    // The queue is short (a user's adds): read from its start, so a resumed search skips what the
    // first run skipped and takes what it took.
    let taken = 0;
    for (const queued of this.#state.steering.seeds) {
      const given = givenTrial(this.space, queued);
      if ('missing' in given) continue;
      if (taken++ === this.#seeded.added) return { ...given, seeded: 'added' };
    }
    return undefined;
  }

  /** The job specs of a trial, as the batch's state holds them. */
  jobsOf(trial: TrialRecord): JobSpec[] {
    return trial.jobs.map(({ name }) => this.#state.spec(name)!);
  }

  /** The trial with the best value of the metric, among those that ended with one. */
  best(): BestTrial | undefined {
    this.#refresh();
    return this.#best;
  }

  /** How far the search has come, for every view: see {@link SearchProgress}. */
  progress(): SearchProgress {
    // The jobs a trial runs are known here: the space is not parsed again for each look at the batch.
    return searchProgress(this.search, this.#state, this.jobsPerTrial, this.best() ?? null, this.#front?.items());
  }

  /** Trials the budget has room for beyond those proposed and those queued to be (Infinity without a budget). */
  room(): number {
    this.#refresh();
    const maxTrials = this.maxTrials;
    if (maxTrials === undefined) return Number.POSITIVE_INFINITY;
    const queued = Math.max(0, (this.search.initial?.length ?? 0) - this.#seeded.initial) + Math.max(0, this.#state.steering.seeds.length - this.#seeded.added);
    return Math.max(0, maxTrials - this.#state.trials().length - queued);
  }

  /** Jobs of trials still to be proposed within the budget (0 without one). */
  expectedNewJobs(): number {
    const maxTrials = this.maxTrials;
    return maxTrials === undefined ? 0 : Math.max(0, maxTrials - this.#state.trials().length) * this.jobsPerTrial;
  }
}
