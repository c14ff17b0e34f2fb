import { HyperctlError } from '../errors.js';

/**
 * Whether lower (`min`) or higher (`max`) values of a metric are better.
 * @public
 */
export type Goal = 'min' | 'max';

/**
 * What a batch's jobs are ranked by, and who said so: the batch's search, its early-stopping rule,
 * the reader (`--min`, `--max`), or a guess from the metric's name (losses and errors down, the
 * rest up) that views say is one.
 * @public
 */
export interface Objective {
  readonly metric: string;
  readonly goal: Goal;
  readonly from: 'search' | 'early_stopping' | 'asked' | 'guess';
}

/** What a batch's spec says of its ranking: its search's metric and goal, and its early-stopping rule's. */
export interface StatedObjectives {
  readonly search?: { readonly metric?: string; readonly goal: Goal; readonly objectives?: readonly { readonly metric: string; readonly goal: Goal }[] };
  readonly earlyStopping?: { readonly metric: string; readonly goal: Goal };
}

/** Only what a spec states of its ranking (a spec holds much more: every job). */
export function statedIn({ search, earlyStopping }: StatedObjectives): StatedObjectives {
  return {
    ...(search
      ? {
          search: {
            ...(search.metric !== undefined ? { metric: search.metric } : {}),
            goal: search.goal,
            ...(search.objectives ? { objectives: search.objectives.map(({ metric, goal }) => ({ metric, goal })) } : {}),
          },
        }
      : {}),
    ...(earlyStopping ? { earlyStopping: { metric: earlyStopping.metric, goal: earlyStopping.goal } } : {}),
  };
}

/** The goal a metric's name suggests when the batch does not say: losses, errors, costs and times down, the rest up. */
export function guessGoal(metric: string): Goal {
  return /loss|err|mse|mae|rmse|regret|time|latency|cost|perplexity|ppl|wer|cer/i.test(metric) ? 'min' : 'max';
}

/** The objectives of a search of several, in the order its config gives them; undefined for any other batch. */
export function searchObjectives({ search }: StatedObjectives): Objective[] | undefined {
  return search?.objectives?.map(({ metric, goal }) => ({ metric, goal, from: 'search' as const }));
}

/** `loss min, latency_ms min`: a search's objectives as messages name them, and as one set of them is told from another. */
export function objectivesText(objectives: readonly { readonly metric: string; readonly goal: Goal }[]): string {
  return objectives.map((o) => `${o.metric} ${o.goal}`).join(', ');
}

/** The objectives a batch states, its search's before its early-stopping rule's. */
function statedObjectives({ search, earlyStopping }: StatedObjectives): Objective[] {
  return [
    ...(search?.metric ? [{ metric: search.metric, goal: search.goal, from: 'search' as const }] : []),
    ...(searchObjectives({ ...(search ? { search } : {}) }) ?? []),
    ...(earlyStopping ? [{ metric: earlyStopping.metric, goal: earlyStopping.goal, from: 'early_stopping' as const }] : []),
  ];
}

/**
 * The one objective a batch states: its search's, else its early-stopping rule's; undefined when
 * it states none, or when its search has several (its jobs are then ranked by Pareto dominance).
 */
export function statedObjective(spec: StatedObjectives): Objective | undefined {
  return spec.search?.objectives ? undefined : statedObjectives(spec)[0];
}

/**
 * The one rule every view ranks jobs by. The metric: the one asked for, else the batch's (its
 * search's, else its early-stopping rule's; none for a search of several objectives, whose jobs
 * are ranked by Pareto dominance). Its goal: the batch's own for that metric, else the
 * one asked for, else a guess from the name. A goal asked for that contradicts the batch's own is
 * refused (`E_USAGE`), never silently obeyed or ignored. Undefined when nothing names a metric.
 */
export function rankingObjective(spec: StatedObjectives, asked: { readonly metric?: string; readonly goal?: Goal } = {}): Objective | undefined {
  const metric = asked.metric ?? statedObjective(spec)?.metric;
  if (metric === undefined) return undefined;
  const own = statedObjectives(spec).find((stated) => stated.metric === metric);
  if (own) {
    if (asked.goal !== undefined && asked.goal !== own.goal)
      throw new HyperctlError(
        'E_USAGE',
        `the batch ranks ${metric} by ${own.goal}, as its ${own.from === 'search' ? 'search' : 'early_stopping'} says, not by ${asked.goal}`,
      );
    return own;
  }
  if (asked.goal !== undefined) return { metric, goal: asked.goal, from: 'asked' };
  return { metric, goal: guessGoal(metric), from: 'guess' };
}
