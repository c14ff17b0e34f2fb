import type { SearchSpec } from '../batch/spec.js';
import type { JsonValue } from '../batch/types.js';
import { canonicalJson } from '../batch/names.js';
import { randomFor } from './prng.js';
import { sobolPoint } from './sobol.js';
import { type Dimension, fromUnit, gridCombination, multiplesRange, type Point, sample, type SearchSpace, snap } from './space.js';
import { splitByDominance } from './motpe.js';
import { proposeDimension, proposeJoint, splitByLoss } from './tpe.js';

/**
 * A trial as a sampler sees it: where it was, and its loss (lower is better), or undefined while
 * it runs. In a search of several objectives, a loss for each (a `max` objective's negated).
 */
export interface TrialView {
  readonly point: Point;
  readonly params: Readonly<Record<string, JsonValue>>;
  /** Infinity for a trial that failed or reported no value of the metric (or of one objective). */
  readonly loss: number | readonly number[] | undefined;
}

/** Whether a trial ended with a value of each objective. */
export function valued(loss: TrialView['loss']): loss is number | readonly number[] {
  return typeof loss === 'number' ? Number.isFinite(loss) : loss !== undefined;
}

/** A proposal: coordinates and the sampled params. */
export interface Proposal {
  readonly point: Point;
  readonly params: Record<string, JsonValue>;
}

/** A grid's trials have no coordinates: they all share this empty point, not one object each. */
const noPoint: Point = Object.freeze({});

/** Tries at drawing params not drawn before, in a finite space, before its untried points are listed. */
const redraws = 64;

/**
 * Trial `n`'s params (n counts from 1): a pure function of the space, the search's settings and
 * seed, `n`, and the trials before it, so a resumed search proposes exactly what an uninterrupted
 * one would. Undefined when a finite space has no untried point left.
 */
export function proposeTrial(space: SearchSpace, search: SearchSpec, n: number, history: readonly TrialView[]): Proposal | undefined {
  if (search.algorithm === 'grid') {
    const combo = gridCombination(space, n - 1);
    return combo ? { point: noPoint, params: combo } : undefined;
  }
  const first = firstDraw(space, search, n, history);
  // An infinite space never repeats a point: only a finite one needs the trials' params read.
  if (!Number.isFinite(space.size)) return first;
  const tried = new Set(history.map((t) => canonicalJson(t.params)));
  if (tried.size >= space.size) return undefined;
  const fresh = (p: Proposal) => !tried.has(canonicalJson(p.params));
  if (fresh(first)) return first;
  // A finite space drawn twice at the same point: draw again, at random, from streams of this trial's own.
  for (let attempt = 1; attempt <= redraws; attempt++) {
    const random = randomFor(search.seed, n, attempt);
    const again = sample(space, (dim) => fromUnit(dim, random()));
    if (fresh(again)) return again;
  }
  if (space.size > 100_000) return undefined;
  const untried = enumerate(space).filter(fresh);
  return untried.length > 0 ? untried[Math.floor(randomFor(search.seed, n, -1)() * untried.length)] : undefined;
}

function firstDraw(space: SearchSpace, search: SearchSpec, n: number, history: readonly TrialView[]): Proposal {
  const sobol = () => {
    const u = sobolPoint(search.seed, n - 1, space.dims.length);
    const index = new Map(space.dims.map((d, i) => [d.id, i]));
    return sample(space, (dim) => fromUnit(dim, u[index.get(dim.id)!]!));
  };
  if (search.algorithm === 'sobol') return sobol();
  if (search.algorithm === 'random') {
    const random = randomFor(search.seed, n);
    return sample(space, (dim) => fromUnit(dim, random()));
  }
  // TPE: the quasi-random design until enough trials have a value to model.
  const known = history.filter((t) => valued(t.loss)).length;
  if (known < Math.max(1, search.startupTrials)) return sobol();
  // Running trials are liars: counted as bad, so the slots beside them look elsewhere.
  const split = search.objectives
    ? splitByDominance(history.map((t) => ({ point: t.point, losses: typeof t.loss === 'object' ? t.loss : undefined })))
    : splitByLoss(history.map((t) => ({ point: t.point, loss: typeof t.loss === 'number' ? t.loss : Number.POSITIVE_INFINITY })));
  const random = randomFor(search.seed, n, 0x7e5);
  if (search.multivariate) {
    // Joint kernels over the dimensions every trial has; a sub-space's own dimensions one by one.
    const shared = space.dims.filter((d) => !d.id.includes('['));
    const joint = shared.length > 1 ? proposeJoint(shared, split, random) : new Map<string, number>();
    return sample(space, (dim: Dimension) => joint.get(dim.id) ?? proposeDimension(dim, split, random));
  }
  return sample(space, (dim: Dimension) => proposeDimension(dim, split, random));
}

/** Every point of a finite space, in order (only asked for when random draws keep finding tried ones). */
function enumerate(space: SearchSpace): Proposal[] {
  const out: Proposal[] = [];
  const values = (dim: Dimension): number[] => {
    if (dim.kind === 'choice') return dim.options.map((_, i) => i);
    // Never reached: a space with a normal dimension is infinite, and is not listed.
    if (dim.kind === 'normal') return [dim.mu];
    if (dim.kind === 'float' && dim.multiples && dim.step !== undefined) {
      const { first, last } = multiplesRange(dim);
      return Array.from({ length: last - first + 1 }, (_, i) => snap(dim, (first + i) * dim.step!));
    }
    const count = dim.kind === 'int' && dim.log ? dim.high - dim.low + 1 : Math.floor((dim.high - dim.low) / (dim.step ?? 1) + 1e-9) + 1;
    return Array.from({ length: count }, (_, i) => fromUnit(dim, (i + 0.5) / count));
  };
  // Depth first over the choices each path makes: a dimension's values, one branch at a time.
  const walk = (fixed: Map<string, number>) => {
    let open: Dimension | undefined;
    const proposal = sample(space, (dim) => {
      const chosen = fixed.get(dim.id);
      if (chosen !== undefined) return chosen;
      open ??= dim;
      return values(dim)[0]!;
    });
    if (!open) {
      out.push(proposal);
      return;
    }
    const dim: Dimension = open;
    for (const value of values(dim)) walk(new Map([...fixed, [dim.id, value]]));
  };
  walk(new Map());
  return out;
}
