import { HyperctlError } from '../errors.js';
import { bestOf, type CompareOptions, type Comparison, compareJobs } from '../results/compare.js';
import { type Goal, type Objective, objectivesText } from '../results/objective.js';
import type { BatchInfo } from '../wire/protocol.js';
import { lossesOf, ParetoFront } from '../results/pareto.js';
import type { FrontTrial } from '../wire/search-progress.js';
import { type BatchesOptions, type BatchFront, type BestJob, openBatch } from './open-batch.js';

/** The names of batches to line up: at least one, each once. */
function distinct(names: readonly string[]): readonly string[] {
  if (names.length === 0) throw new HyperctlError('E_USAGE', 'name at least one batch');
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice !== undefined) throw new HyperctlError('E_USAGE', `batch "${twice}" is named twice`);
  return names;
}

/**
 * The jobs of several batches side by side, as {@link Batch.compare} lines up one batch's, with
 * a `batch` column first: `where: [{ key: 'batch', op: '=', value: 'A' }]` keeps one batch's,
 * `sort` orders them all together. Without `sort` they are ranked best first when every batch
 * states the same objective (metric and goal), else listed batch by batch. Each batch is read
 * as {@link openBatch} reads it: live through its daemon, else from its files.
 * @example
 * ```ts
 * const both = await compareBatches(['sweep-monday', 'sweep-tuesday'], { sort: 'loss', top: 10 })
 * ```
 * @public
 */
export async function compareBatches(names: readonly string[], options: CompareOptions & BatchesOptions = {}): Promise<Comparison> {
  const batches = distinct(names).map((name) => openBatch(name, options));
  const read = await Promise.all(batches.map(async (batch) => ({ batch, info: await batch.info(), jobs: (await batch.jobs()).jobs })));
  const jobs = read.flatMap(({ batch, jobs }) => jobs.map((job) => ({ ...job, batch: batch.name })));
  const { batchesDataDir: _dir, ...compare } = options;
  return compareJobs(jobs, compare, sharedObjective(read.map(({ info }) => info)));
}

/**
 * What ranks the jobs of several batches together: the objective they all state, or the
 * objectives of searches of several that all have the same (metric and goal, in order); else none.
 */
function sharedObjective(infos: readonly BatchInfo[]): Objective | readonly Objective[] | undefined {
  const same = (a: Pick<Objective, 'metric' | 'goal'> | undefined, b: Pick<Objective, 'metric' | 'goal'> | undefined) =>
    a !== undefined && b !== undefined && a.metric === b.metric && a.goal === b.goal;
  const several = infos.map((info) => info.search?.objectives);
  const first = several[0];
  if (first) {
    const all = several.every((objectives) => objectives && objectivesText(objectives) === objectivesText(first));
    return all ? first.map(({ metric, goal }) => ({ metric, goal, from: 'search' as const })) : undefined;
  }
  const objective = infos[0]?.objective;
  return infos.every((info) => same(info.objective, objective)) ? objective : undefined;
}

/**
 * The succeeded job with the best value of a metric among several batches, and the batch it is
 * of; undefined when none succeeded with it as a number. Each batch decides the metric's goal
 * by the rule {@link Batch.best} follows: `E_USAGE` when they decide it differently (one search
 * minimises what another maximises), or when one has no job that reported the metric.
 * @example
 * ```ts
 * const winner = await bestAcrossBatches(['sweep-monday', 'sweep-tuesday'], { metric: 'accuracy' })
 * ```
 * @public
 */
export async function bestAcrossBatches(
  names: readonly string[],
  options: { readonly metric?: string; readonly goal?: Goal } & BatchesOptions = {},
): Promise<(BestJob & { readonly batch: string }) | undefined> {
  const batches = distinct(names).map((name) => openBatch(name, options));
  const winners = await Promise.all(batches.map(async (batch) => ({ batch: batch.name, best: await batch.best(options.metric, options.goal) })));
  const ranked = winners.flatMap(({ batch, best }) => (best ? [{ batch, best }] : []));
  const decided = ranked[0]?.best;
  const other = ranked.find(({ best }) => decided && (best.metric !== decided.metric || best.goal !== decided.goal));
  if (decided && other)
    throw new HyperctlError(
      'E_USAGE',
      `batches ${ranked[0]!.batch} and ${other.batch} rank differently: ${describe(ranked[0]!.batch, decided)}, ${describe(other.batch, other.best)}; name the metric (and its goal) to rank by`,
    );
  if (!decided) return undefined;
  // Each batch's winner succeeded; ties go to the batch named first.
  const winner = bestOf(
    ranked,
    () => 'succeed',
    ({ best }) => best.value,
    decided.goal,
  )!;
  const among = ranked.reduce((sum, { best }) => sum + best.among, 0);
  return { ...winner.best, among, batch: winner.batch };
}

function describe(batch: string, best: { readonly metric: string; readonly goal: Goal; readonly goalFrom: Objective['from'] }): string {
  return `${batch} ranks ${best.metric} by ${best.goal} (${best.goalFrom === 'guess' ? 'a guess from its name' : best.goalFrom === 'asked' ? 'as asked' : `its ${best.goalFrom}`})`;
}

/** The front across several batches: their objectives, and each trial of it with its batch. @public */
export interface FrontAcrossBatches {
  readonly objectives: BatchFront['objectives'];
  readonly trials: readonly (FrontTrial & { readonly batch: string })[];
}

/**
 * The Pareto front across several searches of the same objectives (metrics and goals, in the
 * same order): the trials of any of them that no trial of any beats in every objective, each with
 * its batch, batch by batch in the order named, each in trial order. Undefined when the first is
 * no search of several objectives; `E_USAGE` when another is not one of the same objectives.
 * @example
 * ```ts
 * const both = await frontAcrossBatches(['sweep-monday', 'sweep-tuesday'])
 * ```
 * @public
 */
export async function frontAcrossBatches(names: readonly string[], options: BatchesOptions = {}): Promise<FrontAcrossBatches | undefined> {
  const batches = distinct(names).map((name) => openBatch(name, options));
  const fronts = await Promise.all(batches.map(async (batch) => ({ batch: batch.name, front: await batch.front() })));
  const first = fronts[0]!.front;
  if (!first) return undefined;
  const other = fronts.find(({ front }) => !front || objectivesText(front.objectives) !== objectivesText(first.objectives));
  if (other)
    throw new HyperctlError(
      'E_USAGE',
      `batch ${other.batch} ${other.front ? `searches ${objectivesText(other.front.objectives)}` : 'is no search of several objectives'}, batch ${fronts[0]!.batch} ${objectivesText(first.objectives)}: a front across them needs the same objectives`,
    );
  // A trial beaten by none of all batches is on its own batch's front: those are all that need weighing.
  const across = new ParetoFront<FrontTrial & { readonly batch: string }>();
  let order = 0;
  for (const { batch, front } of fronts)
    for (const trial of front!.trials)
      across.offer(
        { ...trial, batch },
        lossesOf(
          first.objectives.map((o) => trial.values[o.metric]!),
          first.objectives,
        ),
        order++,
      );
  return { objectives: first.objectives, trials: across.items() };
}
