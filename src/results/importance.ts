import type { JsonValue } from '../batch/types.js';
import { randomFor } from '../search/prng.js';

/*
 * Which params matter: each param's share of the variance of a metric, by functional ANOVA over
 * a random forest (Hutter, Hoos and Leyton-Brown, 2014; what Optuna's default evaluator does). A
 * forest of regression trees is fitted to the jobs' (params, value); each tree cuts the space of
 * params into boxes, each with a constant prediction, so the variance of its prediction over the
 * whole space, and the variance of its marginal in one param (the prediction averaged over every
 * other param), are sums over boxes. A param's importance is its marginal's share of the total,
 * averaged over the trees, then normalised so that the shares sum to 1.
 */

/** One param's share of a metric's variance. */
export interface ParamImportance {
  /** The param; a param inside an object (a sub-space's) is named by its path, `opt.beta`. */
  readonly param: string;
  /** Its share, from 0 to 1; the shares of all params sum to 1 (all 0 when the metric never varies). */
  readonly importance: number;
  /** Numbers are cut into ranges; anything else (text, booleans, a mix) into sets of values. */
  readonly kind: 'numeric' | 'categorical';
}

/** How the forest is grown. */
export interface ImportanceOptions {
  /** @defaultValue 64 */
  readonly trees?: number;
  /** @defaultValue 0 */
  readonly seed?: number;
  /**
   * Rows beyond this are sampled (at random, by the seed): shares from 2,000 rows differ from
   * those of 10,000 by a point or two, at a fifth of the time (about 1.5 s on one core). @defaultValue 2000
   */
  readonly maxRows?: number;
}

/** A job as importance sees it: its params and its value of the metric. */
export interface ValuedParams {
  readonly params: Readonly<Record<string, JsonValue>>;
  readonly value: number;
}

/**
 * The jobs whose params are weighed for `metric`: those that succeeded with a numeric value of
 * it (the CLI, the SDK and the dashboard weigh the same ones, in the order given).
 */
export function valuedParams(
  jobs: Iterable<{
    readonly status: string;
    readonly params: Readonly<Record<string, JsonValue>>;
    readonly metrics?: Readonly<Record<string, unknown>> | null;
  }>,
  metric: string,
): ValuedParams[] {
  const rows: ValuedParams[] = [];
  for (const job of jobs) {
    const value = job.metrics?.[metric];
    if (job.status === 'succeed' && typeof value === 'number') rows.push({ params: job.params, value });
  }
  return rows;
}

/** A column of the data: a param's values, as numbers (a numeric param's, or a category's index). */
interface Column {
  readonly param: string;
  readonly kind: 'numeric' | 'categorical';
  readonly values: Float64Array;
  /** Numeric: the lowest and highest value seen. Categorical: 0 and the number of categories. */
  readonly low: number;
  readonly high: number;
}

/** A node of a regression tree: a cut of one column, or a leaf's prediction. */
type TreeNode =
  | { readonly leaf: true; readonly value: number }
  | {
      readonly leaf: false;
      readonly column: number;
      /** Numeric: rows below go left. Categorical: the categories that go left. */
      readonly threshold: number;
      readonly left: ReadonlySet<number> | undefined;
      readonly lo: TreeNode;
      readonly hi: TreeNode;
    };

/**
 * Each param's share of the variance of the value, most important first (ties by name). Only
 * params that vary among the rows count; a param some rows lack (a sub-space's) has "absent" as
 * a value of its own. Deterministic for the same rows and options.
 */
export function paramImportances(rows: readonly ValuedParams[], options: ImportanceOptions = {}): ParamImportance[] {
  const random = randomFor(options.seed ?? 0, 0x1f);
  const sampled = sample(rows, options.maxRows ?? 2000, random);
  const columns = columnsOf(sampled);
  if (columns.length === 0) return [];
  const y = Float64Array.from(sampled, (row) => row.value);
  const shares = new Float64Array(columns.length);
  const trees = options.trees ?? 64;
  for (let t = 0; t < trees; t++) {
    const bag = Uint32Array.from({ length: y.length }, () => Math.floor(random() * y.length));
    const tree = growTree(columns, y, bag);
    const perColumn = marginalShares(tree, columns);
    for (let c = 0; c < columns.length; c++) shares[c]! += perColumn[c]! / trees;
  }
  const total = shares.reduce((a, b) => a + b, 0);
  return columns
    .map((column, c) => ({ param: column.param, importance: total > 0 ? shares[c]! / total : 0, kind: column.kind }))
    .sort((a, b) => b.importance - a.importance || a.param.localeCompare(b.param));
}

/** At most `max` rows, spread over all of them by the seed. */
function sample(rows: readonly ValuedParams[], max: number, random: () => number): readonly ValuedParams[] {
  if (rows.length <= max) return rows;
  const picked = [...rows];
  for (let i = 0; i < max; i++) {
    const j = i + Math.floor(random() * (picked.length - i));
    [picked[i], picked[j]] = [picked[j]!, picked[i]!];
  }
  return picked.slice(0, max);
}

/** The params as columns: each leaf of the params' objects that varies, numeric when every value it has is a finite number. */
function columnsOf(rows: readonly ValuedParams[]): Column[] {
  const leaves = rows.map((row) => flatten(row.params));
  const names = [...new Set(leaves.flatMap((leaf) => [...leaf.keys()]))];
  const columns: Column[] = [];
  for (const param of names) {
    const raw = leaves.map((leaf) => leaf.get(param));
    const present = raw.filter((value) => value !== undefined);
    if (new Set(present.map((value) => JSON.stringify(value))).size + (present.length < raw.length ? 1 : 0) < 2) continue;
    const numeric = present.every((value) => typeof value === 'number' && Number.isFinite(value));
    if (numeric && present.length === raw.length) {
      const values = Float64Array.from(raw as number[]);
      columns.push({ param, kind: 'numeric', values, low: values.reduce((a, b) => Math.min(a, b)), high: values.reduce((a, b) => Math.max(a, b)) });
      continue;
    }
    // Categories in the order first met; an absent value is one of them.
    const index = new Map<string, number>();
    const values = Float64Array.from(raw, (value) => {
      // Leaves are scalars or lists: their JSON is the same for equal values (the dashboard runs this too).
      const key = value === undefined ? '\0absent' : JSON.stringify(value);
      if (!index.has(key)) index.set(key, index.size);
      return index.get(key)!;
    });
    columns.push({ param, kind: 'categorical', values, low: 0, high: index.size });
  }
  return columns;
}

/** A params object's leaves by path (`opt.beta`); lists and scalars are leaves. */
function flatten(params: Readonly<Record<string, JsonValue>>, prefix = '', into = new Map<string, JsonValue>()): Map<string, JsonValue> {
  for (const [key, value] of Object.entries(params)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) flatten(value as Readonly<Record<string, JsonValue>>, path, into);
    else into.set(path, value);
  }
  return into;
}

/** Below this many rows a node is a leaf. */
const minSplit = 2;
const maxDepth = 64;

/**
 * A regression tree on the rows `bag` names (a bootstrap sample): each node takes the cut of any
 * column that lowers the squared error most, as CART does; a categorical column's categories are
 * ordered by their mean value first, which makes the best cut among those of that order the best
 * of all its two-way partitions. Each numeric column's rows are sorted once, at the root; a cut
 * splits every sorted list in two, keeping its order, so no node sorts again.
 */
function growTree(columns: readonly Column[], y: Float64Array, bag: Uint32Array): TreeNode {
  const sorted = columns.map((column) => (column.kind === 'numeric' ? Uint32Array.from(bag).sort((a, b) => column.values[a]! - column.values[b]!) : bag));
  // Which side of a cut each row of the node being cut goes to (only that node's rows are read).
  const side = new Uint8Array(y.length);
  return grow(columns, y, sorted, side, 0);
}

function grow(columns: readonly Column[], y: Float64Array, sorted: readonly Uint32Array[], side: Uint8Array, depth: number): TreeNode {
  const rows = sorted[0]!;
  let sum = 0;
  let squares = 0;
  for (const row of rows) {
    sum += y[row]!;
    squares += y[row]! ** 2;
  }
  const mean = sum / rows.length;
  const sse = squares - sum * mean;
  if (rows.length < minSplit || depth >= maxDepth || sse <= 1e-12 * Math.max(1, mean * mean) * rows.length) return { leaf: true, value: mean };
  let best: { gain: number; column: number; threshold: number; left: ReadonlySet<number> | undefined } | undefined;
  for (let c = 0; c < columns.length; c++) {
    const column = columns[c]!;
    // The rows in the column's order: by value, or by their category's rank by mean.
    const rank = column.kind === 'numeric' ? undefined : categoryRanks(column, y, rows);
    const order = rank ? byRank(column, rows, rank) : sorted[c]!;
    const key = (row: number) => (rank ? rank.get(column.values[row]!)! : column.values[row]!);
    let leftSum = 0;
    let leftSquares = 0;
    for (let i = 0; i < order.length - 1; i++) {
      const v = y[order[i]!]!;
      leftSum += v;
      leftSquares += v * v;
      const here = key(order[i]!);
      const next = key(order[i + 1]!);
      if (here === next) continue;
      const n = i + 1;
      const m = order.length - n;
      const rightSum = sum - leftSum;
      // Squared error left and right, from the sums: the cut's gain is what it removes.
      const after = leftSquares - (leftSum * leftSum) / n + (squares - leftSquares) - (rightSum * rightSum) / m;
      const gain = sse - after;
      if (best === undefined || gain > best.gain + 1e-12) {
        const threshold = (here + next) / 2;
        const left = rank ? new Set([...rank].filter(([, r]) => r < threshold).map(([category]) => category)) : undefined;
        best = { gain, column: c, threshold, left };
      }
    }
  }
  if (!best || best.gain <= 0) return { leaf: true, value: mean };
  const { values } = columns[best.column]!;
  let toLeft = 0;
  for (const row of rows) {
    const left = best.left ? best.left.has(values[row]!) : values[row]! < best.threshold;
    side[row] = left ? 1 : 0;
    if (left) toLeft++;
  }
  const lo: Uint32Array[] = [];
  const hi: Uint32Array[] = [];
  for (const list of sorted) {
    const l = new Uint32Array(toLeft);
    const h = new Uint32Array(list.length - toLeft);
    let a = 0;
    let b = 0;
    for (const row of list) {
      if (side[row] === 1) l[a++] = row;
      else h[b++] = row;
    }
    lo.push(l);
    hi.push(h);
  }
  const { column, threshold, left } = best;
  return { leaf: false, column, threshold, left, lo: grow(columns, y, lo, side, depth + 1), hi: grow(columns, y, hi, side, depth + 1) };
}

/** The rows grouped by category, the categories in order of rank. */
function byRank(column: Column, rows: Uint32Array, rank: ReadonlyMap<number, number>): Uint32Array {
  const groups: number[][] = Array.from({ length: rank.size }, () => []);
  for (const row of rows) groups[rank.get(column.values[row]!)!]!.push(row);
  return Uint32Array.from(groups.flat());
}

/** The categories present among the rows, ranked by their mean value (ties by category). */
function categoryRanks(column: Column, y: Float64Array, bag: Uint32Array): Map<number, number> {
  const sums = new Map<number, { sum: number; count: number }>();
  for (const row of bag) {
    const category = column.values[row]!;
    const entry = sums.get(category) ?? { sum: 0, count: 0 };
    entry.sum += y[row]!;
    entry.count++;
    sums.set(category, entry);
  }
  const ordered = [...sums].sort(([a, x], [b, z]) => x.sum / x.count - z.sum / z.count || a - b);
  return new Map(ordered.map(([category], rank) => [category, rank]));
}

/** A leaf's box: for each column, a numeric range or a set of categories; and its prediction. */
interface Box {
  readonly ranges: (readonly [number, number] | ReadonlySet<number>)[];
  readonly value: number;
}

/**
 * Each column's share of the variance of the tree's prediction over the whole space (each
 * column uniform over its range or its categories): the variance of its marginal over the total.
 */
function marginalShares(tree: TreeNode, columns: readonly Column[]): number[] {
  const boxes: Box[] = [];
  const whole = columns.map((column) => (column.kind === 'numeric' ? ([column.low, column.high] as const) : new Set(range(column.high))));
  collect(tree, whole, columns, boxes);
  const size = (c: number, part: Box['ranges'][number]) => {
    const column = columns[c]!;
    if (part instanceof Set) return part.size / column.high;
    const [lo, hi] = part as readonly [number, number];
    return column.high > column.low ? (hi - lo) / (column.high - column.low) : 1;
  };
  const weights = boxes.map((box) => box.ranges.reduce<number>((w, part, c) => w * size(c, part), 1));
  const mean = boxes.reduce((sum, box, b) => sum + weights[b]! * box.value, 0);
  const total = boxes.reduce((sum, box, b) => sum + weights[b]! * (box.value - mean) ** 2, 0);
  if (total <= 0) return columns.map(() => 0);
  return columns.map((column, c) => {
    // Its marginal on each atom (a range between the tree's cuts of it, or a category): the
    // boxes that cover the atom, each weighted by its size in the other columns.
    if (column.kind === 'categorical') {
      const marginal = new Float64Array(column.high);
      for (const [b, box] of boxes.entries()) {
        const part = box.ranges[c] as ReadonlySet<number>;
        for (const category of part) marginal[category]! += (weights[b]! / size(c, part)) * box.value;
      }
      return marginal.reduce((sum, value) => sum + (value - mean) ** 2 / column.high, 0) / total;
    }
    const cuts = [...new Set([column.low, column.high, ...cutsOf(tree, c)])].sort((a, b) => a - b);
    if (cuts.length < 2) return 0;
    // Added where a box's range starts, taken off where it ends: a running sum over the atoms.
    const delta = new Float64Array(cuts.length);
    for (const [b, box] of boxes.entries()) {
      const part = box.ranges[c] as readonly [number, number];
      const contribution = (weights[b]! / size(c, part)) * box.value;
      delta[indexOf(cuts, part[0])]! += contribution;
      delta[indexOf(cuts, part[1])]! -= contribution;
    }
    let marginal = 0;
    let variance = 0;
    for (let a = 0; a < cuts.length - 1; a++) {
      marginal += delta[a]!;
      variance += ((cuts[a + 1]! - cuts[a]!) / (column.high - column.low)) * (marginal - mean) ** 2;
    }
    return variance / total;
  });
}

/** Where the tree cuts a column: its thresholds, each once or more. */
function cutsOf(node: TreeNode, column: number, into: number[] = []): number[] {
  if (node.leaf) return into;
  if (node.column === column && !node.left) into.push(node.threshold);
  cutsOf(node.lo, column, into);
  cutsOf(node.hi, column, into);
  return into;
}

/** Where `value` is in the sorted `points` (it is one of them). */
function indexOf(points: readonly number[], value: number): number {
  let lo = 0;
  let hi = points.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function collect(node: TreeNode, ranges: Box['ranges'], columns: readonly Column[], into: Box[]): void {
  if (node.leaf) {
    into.push({ ranges, value: node.value });
    return;
  }
  const part = ranges[node.column]!;
  const lo = [...ranges];
  const hi = [...ranges];
  if (node.left) {
    const set = part as ReadonlySet<number>;
    lo[node.column] = new Set([...set].filter((category) => node.left!.has(category)));
    hi[node.column] = new Set([...set].filter((category) => !node.left!.has(category)));
  } else {
    const [a, b] = part as readonly [number, number];
    const cut = Math.min(b, Math.max(a, node.threshold));
    lo[node.column] = [a, cut];
    hi[node.column] = [cut, b];
  }
  // A cut that leaves one side empty of the space (a category the tree never saw) gives that side no box.
  if (!isEmpty(lo[node.column]!, columns[node.column]!)) collect(node.lo, lo, columns, into);
  if (!isEmpty(hi[node.column]!, columns[node.column]!)) collect(node.hi, hi, columns, into);
}

function isEmpty(part: Box['ranges'][number], column: Column): boolean {
  if (part instanceof Set) return part.size === 0;
  const [lo, hi] = part as readonly [number, number];
  return hi <= lo && column.high > column.low;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
