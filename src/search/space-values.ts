import type { JsonValue } from '../batch/types.js';
import { canonicalJson } from '../batch/names.js';
import type { Point, SearchSpace, SpaceNode } from './space.js';

/**
 * Why `value` is not a value the space's param `key` can take, or undefined when it is: the
 * right type, within its bounds and on its step, a choice's option (or a value of that option's
 * sub-space). What a sampler of the user's own answers is checked so before any trial runs it.
 */
export function valueProblem(space: SearchSpace, key: string, value: unknown): string | undefined {
  const node = space.params.find(([name]) => name === key)?.[1];
  if (!node || node.t === 'grid') return `${key}: not a sampled param of the space`;
  return problemAt(node, value, key);
}

/** What is wrong with a trial's params given from outside the search (a sampler's answer, a seed): keys missing, keys not in the space, values it cannot take. */
export interface GivenProblems {
  readonly missing: readonly string[];
  readonly extra: readonly string[];
  readonly wrong: readonly string[];
}

/**
 * A trial's params given from outside the search, checked against the space: its sampled params
 * exactly (grid axes are crossed with it, as with any trial), each a value the space can take.
 * Returns the params in the space's order with their coordinates (a choice's option index), as a
 * sampler's draw would have them, or what is wrong.
 */
export function givenTrial(
  space: SearchSpace,
  given: Readonly<Record<string, unknown>>,
): { readonly point: Point; readonly params: Record<string, JsonValue> } | GivenProblems {
  const expected = sampledKeys(space);
  const missing = expected.filter((key) => !(key in given));
  const extra = Object.keys(given).filter((key) => !expected.includes(key));
  const wrong = expected.filter((key) => key in given).flatMap((key) => valueProblem(space, key, given[key]) ?? []);
  if (missing.length > 0 || extra.length > 0 || wrong.length > 0) return { missing, extra, wrong };
  const point: Record<string, number> = {};
  const params: Record<string, JsonValue> = {};
  for (const [key, node] of space.params) {
    if (node.t === 'grid') continue;
    params[key] = given[key] as JsonValue;
    pointAt(node, given[key], point);
  }
  return { point, params };
}

/**
 * What is wrong with the params given for a trial at `at` (`search.initial[2]`, `trials[0]`), a
 * message per param, each named by its path.
 */
export function givenProblemMessages(space: SearchSpace, { missing, extra, wrong }: GivenProblems, at: string): string[] {
  return [
    ...missing.map((key) => `${at}.${key}: required (a trial given its params gives every sampled param: ${sampledKeys(space).join(', ')})`),
    ...extra.map((key) => `${at}.${key}: not a sampled param of the space`),
    ...wrong.map((problem) => `${at}.${problem}`),
  ];
}

/** The params a trial is drawn for (grid axes are crossed with each draw), in the space's order. */
export function sampledKeys(space: SearchSpace): string[] {
  return space.params.filter(([, n]) => n.t !== 'grid').map(([key]) => key);
}

/** Records the coordinates of a value the node can take (checked already): a choice's first option that takes it. */
function pointAt(node: SpaceNode, value: unknown, point: Record<string, number>): void {
  if (node.t === 'const') return;
  if (node.t === 'object') {
    for (const [k, child] of node.entries) pointAt(child, (value as Record<string, unknown>)[k], point);
    return;
  }
  const dim = node.dim;
  if (dim.kind !== 'choice') {
    point[dim.id] = value as number;
    return;
  }
  const index = dim.options.findIndex((option) => problemAt(option, value, '') === undefined);
  point[dim.id] = index;
  pointAt(dim.options[index]!, value, point);
}

function problemAt(node: SpaceNode, value: unknown, path: string): string | undefined {
  if (node.t === 'const')
    return canonicalJson(value as JsonValue) === canonicalJson(node.value) ? undefined : `${path}: expected ${describe(node.value)}, got ${describe(value)}`;
  if (node.t === 'object') {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${path}: expected an object, got ${describe(value)}`;
    const keys = node.entries.map(([k]) => k);
    const extra = Object.keys(value).filter((k) => !keys.includes(k));
    if (extra.length > 0) return `${path}: not in the space: ${extra.join(', ')}`;
    for (const [k, child] of node.entries) {
      if (!(k in value)) return `${path}.${k}: missing`;
      const problem = problemAt(child, (value as Record<string, unknown>)[k], `${path}.${k}`);
      if (problem) return problem;
    }
    return undefined;
  }
  const dim = node.dim;
  if (dim.kind === 'choice')
    return dim.options.some((option) => problemAt(option, value, path) === undefined)
      ? undefined
      : `${path}: not one of the choice's options, got ${describe(value)}`;
  if (typeof value !== 'number' || !Number.isFinite(value)) return `${path}: expected a finite number, got ${describe(value)}`;
  if (dim.kind === 'normal') return dim.log && value <= 0 ? `${path}: expected a number > 0 (lognormal), got ${value}` : undefined;
  if (value < dim.low || value > dim.high) return `${path}: expected a number from ${dim.low} to ${dim.high}, got ${value}`;
  if (dim.kind === 'int') {
    if (!Number.isSafeInteger(value)) return `${path}: expected a whole number, got ${value}`;
    if (!dim.log && (value - dim.low) % dim.step !== 0) return `${path}: expected ${dim.low} plus a multiple of ${dim.step}, got ${value}`;
  }
  return undefined;
}

function describe(value: unknown): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
