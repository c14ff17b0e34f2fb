import type { JobStatus, JsonValue } from '../batch/types.js';
import { HyperctlError } from '../errors.js';
import type { Metrics } from '../metrics/metrics-line.js';
import { closestName } from '../text/closest-names.js';
import { paretoRanksOf } from './job-ranks.js';
import type { Objective } from './objective.js';

/** A job as a comparison sees it. */
export interface ComparedJob {
  /** The batch it belongs to, in a comparison of several. */
  readonly batch?: string;
  readonly name: string;
  readonly status: JobStatus;
  readonly params: Readonly<Record<string, JsonValue>>;
  readonly metrics?: Metrics | null;
  readonly durationMs: number | null;
  /** Its trial's Pareto rank, in a comparison ranked by several objectives: set by the comparison. */
  readonly rank?: number;
}

/** One condition of `--where`: `status=succeed`, `lr=0.1`, `accuracy>=0.9`. */
export interface Condition {
  readonly key: string;
  readonly op: '=' | '!=' | '<' | '<=' | '>' | '>=';
  readonly value: string;
}

export interface CompareOptions {
  /** Metric, param, `name`, `status` or `duration` to sort by. */
  readonly sort?: string;
  readonly desc?: boolean;
  readonly top?: number;
  readonly where?: readonly Condition[];
  /** Columns to show, in order; default: name, status, the varying params, every metric, duration. */
  readonly columns?: readonly string[];
}

/** A comparison: its columns, its rows (cells by column), and the params every job shares. */
export interface Comparison {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (JsonValue | undefined)[])[];
  readonly constants: Readonly<Record<string, JsonValue>>;
  /** What each column is, in the order of `columns`: a view that must leave some out drops params first. */
  readonly kinds: readonly ('builtin' | 'param' | 'metric')[];
  /** Set when no sort was asked and the rows are ranked by the batch's own objective, best first. */
  readonly ranking?: Objective;
  /**
   * Set for a search of several objectives: each row's `rank` is its trial's Pareto rank over
   * these (1: on the front), and with no sort asked the rows are in rank order.
   */
  readonly rankedBy?: readonly Objective[];
}

const builtins = ['name', 'status', 'duration'] as const;

/** The builtin columns of a comparison: with `batch` first when it lines up several batches, and `rank` after the status when ranks are set. */
function builtinsOf(jobs: readonly ComparedJob[], ranked: boolean): readonly string[] {
  const own = ranked ? ['name', 'status', 'rank', 'duration'] : builtins;
  return jobs.some((job) => job.batch !== undefined) ? ['batch', ...own] : own;
}

/** Parses `status=succeed,accuracy>0.8`. */
export function parseWhere(text: string): Condition[] {
  return text
    .split(',')
    .filter(Boolean)
    .map((part) => {
      const match = /^\s*([^<>=!]+?)\s*(!=|<=|>=|=|<|>)\s*(.*?)\s*$/.exec(part);
      // `lr>>0.1`, `lr=<0.1`, `lr>`: an operator where a value belongs, or no value to order by.
      const value = match?.[3];
      if (!match || value === undefined || /^[<>=!]/.test(value) || (value === '' && match[2] !== '=' && match[2] !== '!='))
        throw new HyperctlError(
          'E_USAGE',
          `--where: expected KEY=VALUE, KEY!=VALUE, KEY>N, KEY>=N, KEY<N or KEY<=N, separated by commas, got ${JSON.stringify(part)}`,
        );
      return { key: match[1]!, op: match[2] as Condition['op'], value };
    });
}

/** `; did you mean accuracy? its metrics: …; its params: …`: what a key could have been, and what there is. */
function columnsHint(key: string, params: readonly string[], metrics: readonly string[], builtinKeys: readonly string[]): string {
  const close = closestName(key, [...builtinKeys, ...params, ...metrics]);
  const list = (keys: readonly string[]) => (keys.length > 20 ? `${keys.slice(0, 20).join(', ')}, … (${keys.length} in all)` : keys.join(', ') || 'none');
  return `${close ? `; did you mean ${close}?` : ''}; its metrics: ${list(metrics)}; its params: ${list(params)}; and ${builtinKeys.join(', ')}`;
}

/** A job's value for a column: a builtin, else a metric, else a param. */
function fieldOf(job: ComparedJob, key: string): JsonValue | undefined {
  if (key === 'name') return job.name;
  if (key === 'batch' && job.batch !== undefined) return job.batch;
  if (key === 'status') return job.status;
  if (key === 'rank') return job.rank;
  if (key === 'duration') return job.durationMs === null ? undefined : Math.round(job.durationMs) / 1000;
  if (job.metrics && key in job.metrics) return job.metrics[key];
  return key in job.params ? job.params[key] : undefined;
}

function holds(job: ComparedJob, { key, op, value }: Condition): boolean {
  const actual = fieldOf(job, key);
  if (actual === undefined) return op === '!=';
  const number = Number(value);
  const numeric = typeof actual === 'number' && value.trim() !== '' && !Number.isNaN(number);
  const text = typeof actual === 'string' ? actual : JSON.stringify(actual);
  const order = numeric ? (actual as number) - number : text < value ? -1 : text > value ? 1 : 0;
  switch (op) {
    case '=':
      return order === 0;
    case '!=':
      return order !== 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
  }
}

/** Orders values: numbers by value, others as text; a missing value always comes last. */
function compareValues(a: JsonValue | undefined, b: JsonValue | undefined, desc: boolean): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
  const order = typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b), undefined, { numeric: true });
  return desc ? -order : order;
}

/** What a comparison's columns come from: every param and metric key in the order first met, and the params every job shares. */
export interface ComparisonShape {
  readonly paramKeys: readonly string[];
  readonly metricKeys: readonly string[];
  /** Params every job has, all with one value. */
  readonly constants: Readonly<Record<string, JsonValue>>;
  /** The other params, in the order of `paramKeys`. */
  readonly varying: readonly string[];
}

/**
 * Builds a {@link ComparisonShape} a job at a time, so that a batch's index can keep the shape of
 * all its jobs, made as the comparison of all of them makes it, while the jobs are written one by one.
 */
export class ShapeBuilder {
  readonly #params = new Map<string, { readonly json: string; readonly value: JsonValue; count: number; same: boolean }>();
  readonly #metrics = new Set<string>();
  #jobs = 0;

  add(job: Pick<ComparedJob, 'params' | 'metrics'>): void {
    this.#jobs++;
    for (const key in job.params) {
      const value = job.params[key]!;
      const seen = this.#params.get(key);
      // Loops, not a list per job: 100,000 jobs make no garbage that can be done without.
      if (!seen) this.#params.set(key, { json: JSON.stringify(value), value, count: 1, same: this.#jobs === 1 });
      else {
        seen.count++;
        if (seen.same && JSON.stringify(value) !== seen.json) seen.same = false;
      }
    }
    for (const key in job.metrics) this.#metrics.add(key);
  }

  shape(): ComparisonShape {
    const constants: Record<string, JsonValue> = {};
    const varying: string[] = [];
    for (const [key, { value, count, same }] of this.#params) {
      if (same && count === this.#jobs) constants[key] = value;
      else varying.push(key);
    }
    return { paramKeys: [...this.#params.keys()], metricKeys: [...this.#metrics], constants, varying };
  }
}

/** The shape of a comparison of `jobs`. */
export function comparisonShape(jobs: Iterable<Pick<ComparedJob, 'params' | 'metrics'>>): ComparisonShape {
  const builder = new ShapeBuilder();
  for (const job of jobs) builder.add(job);
  return builder.shape();
}

/**
 * What a comparison sorts by: the key asked for, else (with no sort asked) the batch's objective,
 * best first, once some job reported it; then `ranking` says so.
 */
export function comparisonOrder(
  options: CompareOptions,
  objective: Objective | readonly Objective[] | undefined,
  shape: ComparisonShape,
): { readonly sort?: string; readonly desc: boolean; readonly ranking?: Objective } {
  if (isSeveral(objective)) return { sort: options.sort ?? 'rank', desc: options.desc ?? false };
  if (options.sort === undefined && objective && shape.metricKeys.includes(objective.metric))
    return { sort: objective.metric, desc: objective.goal === 'max', ranking: objective };
  return { ...(options.sort !== undefined ? { sort: options.sort } : {}), desc: options.desc ?? false };
}

/** Each job with its trial's Pareto rank (see {@link paretoRanksOf}), where it has one. */
function withRanks(jobs: readonly ComparedJob[], objectives: readonly Objective[]): ComparedJob[] {
  const ranks = paretoRanksOf(jobs, objectives);
  return jobs.map((job) => {
    const rank = ranks.get(job);
    return rank === undefined ? job : { ...job, rank };
  });
}

function isSeveral(objective: Objective | readonly Objective[] | undefined): objective is readonly Objective[] {
  return Array.isArray(objective);
}

/**
 * Lines up jobs by params and metrics: filters, sorts (jobs missing the sort key last), keeps the
 * top N, and shows by default only the params that vary (the rest are `constants`). `objective`:
 * the batch's, which ranks the rows when no sort is asked; several (a search of several
 * objectives) give each row its trial's Pareto rank, by which they are ranked. `shape`: that of
 * every job of the batch, when `jobs` are already the first of them in this order (read from an
 * index); by default that of `jobs`.
 */
export function compareJobs(
  given: readonly ComparedJob[],
  options: CompareOptions = {},
  objective?: Objective | readonly Objective[],
  shape = comparisonShape(given),
): Comparison {
  const { paramKeys, metricKeys, constants, varying } = shape;
  // Ranks are of the whole batch, before any filter: a trial's rank does not change with what is shown.
  const jobs = isSeveral(objective) ? withRanks(given, objective) : given;
  const builtinKeys = builtinsOf(jobs, isSeveral(objective));
  const known = new Set<string>([...builtinKeys, ...paramKeys, ...metricKeys]);
  for (const key of [options.sort, ...(options.columns ?? []), ...(options.where ?? []).map((c) => c.key)]) {
    if (key !== undefined && !known.has(key))
      throw new HyperctlError(
        'E_USAGE',
        `no metric or param ${JSON.stringify(key)} in ${builtinKeys.includes('batch') ? 'these batches' : 'this batch'}${columnsHint(key, paramKeys, metricKeys, builtinKeys)}`,
      );
  }
  const { sort, desc, ranking } = comparisonOrder(options, objective, shape);
  const where = options.where ?? [];
  let rows = where.length > 0 ? jobs.filter((job) => where.every((c) => holds(job, c))) : jobs;
  if (sort !== undefined) rows = sorted(rows, sort, desc, options.top);
  else if (options.top !== undefined) rows = rows.slice(0, options.top);
  // The name (and the batch, of several) is in every comparison: a row no one can name is no use.
  const columns = options.columns
    ? [...builtinKeys.filter((key) => (key === 'name' || key === 'batch') && !options.columns!.includes(key)), ...options.columns]
    : [...builtinKeys.filter((key) => key !== 'duration'), ...varying, ...metricKeys.filter((k) => !varying.includes(k)), 'duration'];
  const metrics = new Set(metricKeys);
  const kinds = columns.map((key) => (builtinKeys.includes(key) ? 'builtin' : metrics.has(key) ? 'metric' : 'param') as 'builtin' | 'param' | 'metric');
  return {
    columns,
    kinds,
    rows: rows.map((job) => columns.map((key) => fieldOf(job, key))),
    constants: options.columns ? {} : constants,
    ...(ranking ? { ranking } : {}),
    ...(isSeveral(objective) ? { rankedBy: objective } : {}),
  };
}

/** The rows sorted by `key` (ties in their order), or only the first `top` of them (see {@link firstInOrder}). */
function sorted(jobs: readonly ComparedJob[], key: string, desc: boolean, top: number | undefined): ComparedJob[] {
  return firstInOrder(jobs, (job) => fieldOf(job, key), desc, top);
}

/**
 * Items sorted by their value as a comparison sorts a column (missing values last, ties in their
 * order), or only the first `top` of them: those are picked in one pass, not by sorting every
 * item. Each item's value is read once.
 */
export function firstInOrder<T>(items: readonly T[], valueIn: (item: T) => JsonValue | undefined, desc: boolean, top: number | undefined): T[] {
  const keyed = items.map((item) => ({ item, value: valueIn(item) }));
  const order = (a: { value: JsonValue | undefined }, b: { value: JsonValue | undefined }) => compareValues(a.value, b.value, desc);
  if (top === undefined || top >= keyed.length) return keyed.sort(order).map(({ item }) => item);
  const kept: typeof keyed = [];
  for (const row of keyed) {
    if (top === 0) break;
    if (kept.length === top && order(row, kept[top - 1]!) >= 0) continue;
    // After those it ties with: the order a stable sort gives.
    let at = kept.length;
    while (at > 0 && order(row, kept[at - 1]!) < 0) at--;
    kept.splice(at, 0, row);
    if (kept.length > top) kept.pop();
  }
  return kept.map(({ item }) => item);
}

/** The job with the lowest or highest numeric value of `metric`, among those that succeeded. */
export function bestJob<J extends ComparedJob>(jobs: readonly J[], metric: string, goal: 'min' | 'max'): J | undefined {
  return bestOf(
    jobs,
    (job) => job.status,
    (job) => job.metrics?.[metric],
    goal,
  );
}

/** The item with the lowest or highest value that is a number, among those that succeeded; the first of equals. */
export function bestOf<T>(items: Iterable<T>, statusOf: (item: T) => JobStatus, valueIn: (item: T) => unknown, goal: 'min' | 'max'): T | undefined {
  let best: { item: T; value: number } | undefined;
  for (const item of items) {
    const value = valueIn(item);
    if (statusOf(item) !== 'succeed' || typeof value !== 'number') continue;
    if (best === undefined || (goal === 'max' ? value > best.value : value < best.value)) best = { item, value };
  }
  return best?.item;
}
