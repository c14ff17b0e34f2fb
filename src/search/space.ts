import type { JsonValue } from '../batch/types.js';

/** One number a sampler chooses: a float, an integer, or which option of a choice. */
export type Dimension =
  | { readonly kind: 'float'; readonly id: string; readonly low: number; readonly high: number; readonly log: boolean; readonly step?: number }
  | { readonly kind: 'int'; readonly id: string; readonly low: number; readonly high: number; readonly log: boolean; readonly step: number }
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

const distributionKeys = { uniform: ['step'], loguniform: [], int: ['log', 'step'], choice: [] } as const satisfies Record<string, readonly string[]>;
type DistributionKey = keyof typeof distributionKeys;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function distributionOf(value: Record<string, unknown>): DistributionKey | undefined {
  return (Object.keys(distributionKeys) as DistributionKey[]).find((key) => key in value);
}

/** Whether a value holds a distribution anywhere inside (a sub-space rather than a constant). */
function holdsDistribution(value: unknown): boolean {
  if (Array.isArray(value)) return false;
  if (!isObject(value)) return false;
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
    if (!isObject(value) || !holdsDistribution(value)) return { t: 'const', value: value as JsonValue };
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
    if (!Array.isArray(body) || body.length !== 2 || !body.every((n) => typeof n === 'number' && Number.isFinite(n))) {
      issues.push(`${path}: expected [low, high], two numbers`);
      return undefined;
    }
    const [low, high] = body as [number, number];
    const log = kind === 'loguniform' || spec.log === true;
    if (spec.log !== undefined && typeof spec.log !== 'boolean') issues.push(`${path.replace(/\.int$/, '')}.log: expected true or false`);
    if (low > high) issues.push(`${path}: low must be ≤ high, got [${low}, ${high}]`);
    if (log && low <= 0) issues.push(`${path}: bounds must be > 0 on a log scale, got [${low}, ${high}]`);
    const step = spec.step;
    if (step !== undefined && (typeof step !== 'number' || !(step > 0) || !Number.isFinite(step)))
      issues.push(`${path.replace(/\.\w+$/, '')}.step: expected a number > 0`);
    if (kind === 'int') {
      if (!Number.isInteger(low) || !Number.isInteger(high)) issues.push(`${path}: bounds must be whole numbers, got [${low}, ${high}]`);
      if (step !== undefined && !Number.isInteger(step)) issues.push(`${path.replace(/\.int$/, '')}.step: expected a whole number > 0`);
      if (log && step !== undefined && step !== 1) issues.push(`${path.replace(/\.int$/, '')}.step: a log-scaled int takes no step`);
      return { kind: 'int', id, low, high, log, step: typeof step === 'number' ? step : 1 };
    }
    return { kind: 'float', id, low, high, log, ...(typeof step === 'number' ? { step } : {}) };
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
    return d.step === undefined ? Number.POSITIVE_INFINITY : Math.floor((d.high - d.low) / d.step + 1e-9) + 1;
  };
  const size = entries.reduce((product, [, n]) => (n.t === 'grid' ? product : product * sizeOf(n)), 1);
  return { space: { params: entries, dims, size }, issues };
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
  if (dim.kind === 'int') {
    if (dim.log) {
      const [a, b] = [Math.log(dim.low - 0.5), Math.log(dim.high + 0.5)];
      return Math.min(dim.high, Math.max(dim.low, Math.round(Math.exp(a + u * (b - a)))));
    }
    const count = Math.floor((dim.high - dim.low) / dim.step) + 1;
    return dim.low + Math.min(count - 1, Math.floor(u * count)) * dim.step;
  }
  if (dim.step !== undefined) {
    const count = Math.floor((dim.high - dim.low) / dim.step + 1e-9) + 1;
    return snap(dim, dim.low + Math.min(count - 1, Math.floor(u * count)) * dim.step);
  }
  if (dim.log) return Math.min(dim.high, Math.max(dim.low, Math.exp(Math.log(dim.low) + u * (Math.log(dim.high) - Math.log(dim.low)))));
  return Math.min(dim.high, dim.low + u * (dim.high - dim.low));
}

/** A float on its step's grid, within the bounds, without floating-point noise. */
export function snap(dim: Extract<Dimension, { kind: 'float' }>, value: number): number {
  if (dim.step === undefined) return Math.min(dim.high, Math.max(dim.low, value));
  const index = Math.round((value - dim.low) / dim.step);
  const snapped = Math.min(dim.high, Math.max(dim.low, dim.low + index * dim.step));
  return Number(snapped.toFixed(Math.min(20, decimalsOf(dim.step) + decimalsOf(dim.low))));
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
  let combos: Record<string, JsonValue>[] = [{}];
  for (const [key, n] of space.params) {
    if (n.t !== 'grid') continue;
    combos = combos.flatMap((combo) => n.values.map((value) => ({ ...combo, [key]: value })));
  }
  return combos;
}

/** A job's params: the sample's and one grid combination's, in the config's key order. */
export function jobParams(
  space: SearchSpace,
  sampled: Readonly<Record<string, JsonValue>>,
  combo: Readonly<Record<string, JsonValue>>,
): Record<string, JsonValue> {
  return Object.fromEntries(space.params.map(([key, n]) => [key, n.t === 'grid' ? combo[key]! : sampled[key]!]));
}
