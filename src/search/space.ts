import type { JsonValue } from '../batch/types.js';
import { editDistance } from '../text/closest-names.js';
import { isPlainObject } from '../plain-object.js';

/** One number a sampler chooses: a float, an integer, or which option of a choice. */
export type Dimension =
  /**
   * A float within bounds; `step` puts it on a grid: from the low bound (a linear `step`), or on the
   * step's multiples clipped to the bounds (`multiples`: NNI's quniform `q`, and every log scale).
   */
  | {
      readonly kind: 'float';
      readonly id: string;
      readonly low: number;
      readonly high: number;
      readonly log: boolean;
      readonly step?: number;
      readonly multiples?: boolean;
    }
  | { readonly kind: 'int'; readonly id: string; readonly low: number; readonly high: number; readonly log: boolean; readonly step: number }
  /** A normal distribution (of the value, or of its log: `log`), unbounded; `step` rounds to its multiples. */
  | { readonly kind: 'normal'; readonly id: string; readonly mu: number; readonly sigma: number; readonly log: boolean; readonly step?: number }
  | { readonly kind: 'choice'; readonly id: string; readonly options: readonly SpaceNode[] };

/** A part of a space: a fixed value, a dimension, or an object of parts. */
export type SpaceNode =
  | { readonly t: 'const'; readonly value: JsonValue }
  | { readonly t: 'dim'; readonly dim: Dimension }
  | { readonly t: 'object'; readonly entries: readonly (readonly [string, SpaceNode])[] };

/**
 * What a search draws from: the sampled params (distributions, choices of sub-spaces, constants)
 * and the grid axes (plain lists) crossed with every sample, each in the config's key order.
 */
export interface SearchSpace {
  /** Every top-level param in the config's order; grid axes are `grid`. */
  readonly params: readonly (readonly [string, SpaceNode | { readonly t: 'grid'; readonly values: readonly JsonValue[] }])[];
  /** Every dimension, depth first: a sample's coordinates, in a fixed order. */
  readonly dims: readonly Dimension[];
  /** How many distinct samples there are, or Infinity when a float has no step. */
  readonly size: number;
}

/** A sample's coordinates: dimension id → value (a choice's option index); only the dimensions it uses. */
export type Point = Readonly<Record<string, number>>;

/** The largest x whose exp(x) is a finite double. */
const maxLogDouble = 709;

const distributionKeys = {
  uniform: ['step', 'q'],
  loguniform: ['step'],
  int: ['log', 'step'],
  choice: [],
  normal: ['step'],
  lognormal: ['step'],
} as const satisfies Record<string, readonly string[]>;
type DistributionKey = keyof typeof distributionKeys;

function distributionOf(value: Record<string, unknown>): DistributionKey | undefined {
  return (Object.keys(distributionKeys) as DistributionKey[]).find((key) => key in value);
}

/**
 * A key of a constant that reads as a distribution mistyped (`choise`, `Choice`, `loguniorm`) and
 * holds a list, as a distribution does: the distribution it was meant to be. A constant object
 * such as `{init: xavier}` holds no list there, and is left alone.
 */
function misspeltDistribution(key: string, value: unknown): DistributionKey | undefined {
  if (!Array.isArray(value)) return undefined;
  const lower = key.toLowerCase();
  return (Object.keys(distributionKeys) as DistributionKey[]).find((name) => lower === name || editDistance(lower, name) <= (name.length > 4 ? 2 : 1));
}

/** Issues for the keys of a constant (at `path`) that look like mistyped distributions, at any depth. */
function misspeltDistributions(value: unknown, path: string): string[] {
  if (!isPlainObject(value)) return [];
  return Object.entries(value).flatMap(([key, inner]) => {
    const meant = misspeltDistribution(key, inner);
    return meant ? [`${path}: unknown distribution "${key}" (did you mean ${meant}?)`] : misspeltDistributions(inner, `${path}.${key}`);
  });
}

/** Whether a value holds a distribution anywhere inside (a sub-space rather than a constant). */
function holdsDistribution(value: unknown): boolean {
  if (Array.isArray(value)) return false;
  if (!isPlainObject(value)) return false;
  return distributionOf(value) !== undefined || Object.values(value).some(holdsDistribution);
}

/** Whether a template's params hold a distribution: such a template is a search, not a grid. */
export function isSearchParams(params: Readonly<Record<string, unknown>>): boolean {
  return Object.values(params).some(holdsDistribution);
}

/**
 * Reads a search space from a template's `params`; `issues` name each field that is wrong
 * (`params.lr.loguniform: bounds must be > 0`), and the space is then unusable.
 */
export function parseSearchSpace(params: Readonly<Record<string, unknown>>): { space: SearchSpace; issues: string[] } {
  const issues: string[] = [];
  const dims: Dimension[] = [];
  const node = (value: unknown, path: string, id: string): SpaceNode => {
    if (!isPlainObject(value) || !holdsDistribution(value)) {
      issues.push(...misspeltDistributions(value, path));
      return { t: 'const', value: value as JsonValue };
    }
    const kind = distributionOf(value);
    if (!kind) return { t: 'object', entries: Object.entries(value).map(([k, v]) => [k, node(v, `${path}.${k}`, `${id}.${k}`)] as const) };
    const allowed = new Set<string>([kind, ...distributionKeys[kind]]);
    for (const key of Object.keys(value))
      if (!allowed.has(key))
        issues.push(
          `${path}.${key}: ${key in distributionKeys ? `a param takes one distribution, got ${kind} and ${key}` : `unknown key (${kind} takes ${[...allowed].join(', ')})`}`,
        );
    const dim = dimension(kind, value, `${path}.${kind}`, id);
    if (!dim) return { t: 'const', value: null };
    dims.push(dim);
    return { t: 'dim', dim };
  };
  const dimension = (kind: DistributionKey, spec: Record<string, unknown>, path: string, id: string): Dimension | undefined => {
    const body = spec[kind];
    if (kind === 'choice') {
      if (!Array.isArray(body) || body.length === 0) {
        issues.push(`${path}: expected a non-empty list of options`);
        return undefined;
      }
      const seen = new Set<string>();
      for (const option of body) {
        const text = JSON.stringify(option);
        if (seen.has(text)) issues.push(`${path}: duplicate option ${text}`);
        seen.add(text);
      }
      // Each option's dimensions are its own (a sub-space): ids carry the option's index.
      return { kind, id, options: body.map((option, i) => node(option, `${path}[${i}]`, `${id}[${i}]`)) };
    }
    const normal = kind === 'normal' || kind === 'lognormal';
    if (!Array.isArray(body) || body.length !== 2 || !body.every((n) => typeof n === 'number' && Number.isFinite(n))) {
      issues.push(`${path}: expected ${normal ? '[mu, sigma]' : '[low, high]'}, two numbers`);
      return undefined;
    }
    // `q` (uniform only): NNI's quniform, values rounded to multiples of q, then clipped to the bounds.
    const q = spec.q;
    if (q !== undefined && spec.step !== undefined) issues.push(`${path.replace(/\.\w+$/, '')}: give step or q, not both`);
    const step = q ?? spec.step;
    if (step !== undefined && (typeof step !== 'number' || !(step > 0) || !Number.isFinite(step)))
      issues.push(`${path.replace(/\.\w+$/, '')}.${q !== undefined ? 'q' : 'step'}: expected a number > 0`);
    if (normal) {
      const [mu, sigma] = body as [number, number];
      if (!(sigma > 0)) issues.push(`${path}: sigma must be > 0, got ${sigma}`);
      // Draws reach about 7 sigma out: beyond what a double holds they would be Infinity (null in JSON).
      if (kind === 'lognormal' && mu + 8 * sigma > maxLogDouble)
        issues.push(`${path}: exp(mu + 8·sigma) must be a finite number: expected mu + 8·sigma ≤ ${maxLogDouble}, got ${mu + 8 * sigma}`);
      if (kind === 'normal' && !Number.isFinite(Math.abs(mu) + 8 * sigma)) issues.push(`${path}: mu ± 8·sigma must be finite numbers`);
      return { kind: 'normal', id, mu, sigma, log: kind === 'lognormal', ...(typeof step === 'number' ? { step } : {}) };
    }
    const [low, high] = body as [number, number];
    const log = kind === 'loguniform' || spec.log === true;
    if (spec.log !== undefined && typeof spec.log !== 'boolean') issues.push(`${path.replace(/\.int$/, '')}.log: expected true or false`);
    if (low > high) issues.push(`${path}: low must be ≤ high, got [${low}, ${high}]`);
    else if (!Number.isFinite(high - low)) issues.push(`${path}: high - low must be a finite number, got [${low}, ${high}]`);
    if (log && low <= 0) issues.push(`${path}: bounds must be > 0 on a log scale, got [${low}, ${high}]`);
    if (kind === 'int') {
      if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high))
        issues.push(`${path}: bounds must be whole numbers within ±${Number.MAX_SAFE_INTEGER}, got [${low}, ${high}]`);
      if (step !== undefined && !Number.isInteger(step)) issues.push(`${path.replace(/\.int$/, '')}.step: expected a whole number > 0`);
      if (log && step !== undefined && step !== 1) issues.push(`${path.replace(/\.int$/, '')}.step: a log-scaled int takes no step`);
      return { kind: 'int', id, low, high, log, step: typeof step === 'number' ? step : 1 };
    }
    return { kind: 'float', id, low, high, log, ...(typeof step === 'number' ? { step } : {}), ...(log || q !== undefined ? { multiples: true } : {}) };
  };
  const entries: [string, SpaceNode | { t: 'grid'; values: readonly JsonValue[] }][] = [];
  for (const [key, value] of Object.entries(params)) {
    if (Array.isArray(value)) {
      if (value.length === 0) issues.push(`params.${key}: a grid axis needs at least one value`);
      entries.push([key, { t: 'grid', values: value as JsonValue[] }]);
    } else entries.push([key, node(value, `params.${key}`, key)]);
  }
  const sizeOf = (n: SpaceNode): number => {
    if (n.t === 'const') return 1;
    if (n.t === 'object') return n.entries.reduce((product, [, child]) => product * sizeOf(child), 1);
    const d = n.dim;
    if (d.kind === 'choice') return d.options.reduce((sum, option) => sum + sizeOf(option), 0);
    if (d.kind === 'int') return d.log ? d.high - d.low + 1 : Math.floor((d.high - d.low) / d.step) + 1;
    if (d.kind === 'normal') return Number.POSITIVE_INFINITY;
    if (d.step === undefined) return Number.POSITIVE_INFINITY;
    // On a log scale, the multiples a draw rounds to, each clipped to the bounds (NNI's qloguniform).
    if (d.multiples) {
      const { first, last } = multiplesRange(d);
      return Math.max(0, last - first + 1);
    }
    return Math.floor((d.high - d.low) / d.step + 1e-9) + 1;
  };
  const size = entries.reduce((product, [, n]) => (n.t === 'grid' ? product : product * sizeOf(n)), 1);
  return { space: { params: entries, dims, size }, issues };
}

/**
 * The multiples of a float's step that its draws round to, where it rounds to multiples (NNI's q,
 * every log scale): `round(x / step)` for x in its bounds, each value then clipped to them —
 * qloguniform [1, 10, 3] gives 1, 3, 6 and 9; quniform [2, 10, 5] gives 2, 5 and 10.
 */
export function multiplesRange(dim: { readonly low: number; readonly high: number; readonly step?: number }): { first: number; last: number } {
  const step = dim.step ?? 1;
  return { first: Math.round(dim.low / step), last: Math.round(dim.high / step) };
}

/** Digits after the point of a step such as 0.01, so snapped values print as 0.07, not 0.07000000000000001. */
function decimalsOf(step: number): number {
  const text = String(step);
  const exponent = /e-(\d+)$/.exec(text);
  if (exponent) return Number(exponent[1]);
  return text.includes('.') ? text.split('.')[1]!.length : 0;
}

/** The value a unit coordinate u ∈ [0, 1) stands for in a dimension (a choice's option index). */
export function fromUnit(dim: Dimension, u: number): number {
  if (dim.kind === 'choice') return Math.min(dim.options.length - 1, Math.floor(u * dim.options.length));
  if (dim.kind === 'normal') {
    const x = dim.mu + dim.sigma * normalQuantile(Math.min(1 - 1e-12, Math.max(1e-12, u)));
    return snapNormal(dim, dim.log ? Math.exp(x) : x);
  }
  if (dim.kind === 'int') {
    if (dim.log) {
      const [a, b] = [Math.log(dim.low - 0.5), Math.log(dim.high + 0.5)];
      return Math.min(dim.high, Math.max(dim.low, Math.round(Math.exp(a + u * (b - a)))));
    }
    const count = Math.floor((dim.high - dim.low) / dim.step) + 1;
    return dim.low + Math.min(count - 1, Math.floor(u * count)) * dim.step;
  }
  if (dim.step !== undefined && !dim.log && !dim.multiples) {
    const count = Math.floor((dim.high - dim.low) / dim.step + 1e-9) + 1;
    return snap(dim, dim.low + Math.min(count - 1, Math.floor(u * count)) * dim.step);
  }
  if (dim.log) return snap(dim, Math.exp(Math.log(dim.low) + u * (Math.log(dim.high) - Math.log(dim.low))));
  return snap(dim, dim.low + u * (dim.high - dim.low));
}

/** `value` rounded to a multiple of `step`, without floating-point noise. */
function toMultiple(value: number, step: number): number {
  return Number((Math.round(value / step) * step).toFixed(Math.min(20, decimalsOf(step))));
}

/** A normal draw on its step's multiples, when it has a step. */
export function snapNormal(dim: Extract<Dimension, { kind: 'normal' }>, value: number): number {
  return dim.step === undefined ? value : toMultiple(value, dim.step);
}

/**
 * A float within the bounds, on its step's grid when it has one: from the low bound on a linear
 * scale, multiples of the step on a log scale (as NNI's qloguniform), without floating-point noise.
 */
export function snap(dim: Extract<Dimension, { kind: 'float' }>, value: number): number {
  const clip = (v: number) => Math.min(dim.high, Math.max(dim.low, v));
  if (dim.step === undefined) return clip(value);
  if (dim.multiples) return clip(toMultiple(value, dim.step));
  // The nearest point of the grid: high itself only where the grid reaches it.
  const last = Math.floor((dim.high - dim.low) / dim.step + 1e-9);
  const index = Math.min(last, Math.max(0, Math.round((value - dim.low) / dim.step)));
  return Number((dim.low + index * dim.step).toFixed(Math.min(20, decimalsOf(dim.step) + decimalsOf(dim.low))));
}

/** An integer of the dimension nearest to `value`: on its step's grid from the low bound, never past its last point. */
export function snapInt(dim: Extract<Dimension, { kind: 'int' }>, value: number): number {
  const last = Math.floor((dim.high - dim.low) / dim.step);
  return dim.low + Math.min(last, Math.max(0, Math.round((value - dim.low) / dim.step))) * dim.step;
}

/**
 * A sample: walks the space, asking `pick` for each dimension it reaches (a choice's sub-space
 * only when that option is chosen); returns the point and the sampled params in the config's order.
 */
export function sample(space: SearchSpace, pick: (dim: Dimension) => number): { point: Point; params: Record<string, JsonValue> } {
  const point: Record<string, number> = {};
  const valueAt = (n: SpaceNode): JsonValue => {
    if (n.t === 'const') return n.value;
    if (n.t === 'object') return Object.fromEntries(n.entries.map(([k, child]) => [k, valueAt(child)]));
    const v = pick(n.dim);
    point[n.dim.id] = v;
    return n.dim.kind === 'choice' ? valueAt(n.dim.options[v]!) : v;
  };
  const params: Record<string, JsonValue> = {};
  for (const [key, n] of space.params) if (n.t !== 'grid') params[key] = valueAt(n);
  return { point, params };
}

/** The grid axes' combinations (one empty combination when there are none), the last axis varying fastest. */
export function gridCombinations(space: SearchSpace): Record<string, JsonValue>[] {
  return Array.from({ length: gridSize(space) }, (_, index) => gridCombination(space, index)!);
}

/** How many combinations the grid axes make (1 when there are none). */
export function gridSize(space: SearchSpace): number {
  let size = 1;
  for (const [, n] of space.params) if (n.t === 'grid') size *= n.values.length;
  return size;
}

/**
 * Combination `index` (from 0) in the order of {@link gridCombinations}, made without the others:
 * a grid of a million combinations is walked in constant memory. Undefined past the last one.
 */
export function gridCombination(space: SearchSpace, index: number): Record<string, JsonValue> | undefined {
  if (!Number.isInteger(index) || index < 0 || index >= gridSize(space)) return undefined;
  const axes = space.params.flatMap(([key, n]) => (n.t === 'grid' ? [[key, n.values] as const] : []));
  const combo: Record<string, JsonValue> = {};
  let rest = index;
  // The last axis varies fastest: it is the lowest digit of the index in mixed radix.
  for (let i = axes.length - 1; i >= 0; i--) {
    const [key, values] = axes[i]!;
    combo[key] = values[rest % values.length]!;
    rest = Math.floor(rest / values.length);
  }
  return Object.fromEntries(axes.map(([key]) => [key, combo[key]!]));
}

/** A job's params: the sample's and one grid combination's, in the config's key order. */
export function jobParams(
  space: SearchSpace,
  sampled: Readonly<Record<string, JsonValue>>,
  combo: Readonly<Record<string, JsonValue>>,
): Record<string, JsonValue> {
  return Object.fromEntries(space.params.map(([key, n]) => [key, n.t === 'grid' ? combo[key]! : sampled[key]!]));
}

/** The standard normal's quantile function (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155211079];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) =>
    (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}
