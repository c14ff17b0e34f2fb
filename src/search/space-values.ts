import type { JsonValue } from '../batch/types.js';
import { canonicalJson } from '../batch/names.js';
import type { SearchSpace, SpaceNode } from './space.js';

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
