import { ProductMixture, SmoothedChoices, TruncatedNormals } from './parzen.js';
import type { Random } from './prng.js';
import { type Dimension, type Point, snap, snapInt, snapNormal } from './space.js';

/** A trial as TPE learns from it: where it was, and its loss (lower is better; Infinity for a failure or a running trial). */
export interface Observation {
  readonly point: Point;
  readonly loss: number;
}

/** Trials split into those to propose near and the rest. */
export interface Split {
  readonly good: readonly Observation[];
  readonly bad: readonly Observation[];
}

/** Candidates drawn from the good trials' density per dimension; the best ratio to the bad ones' wins. */
const candidates = 24;

/** How many of `n` trials count as good: a tenth, at most 25 (Optuna's and Hyperopt's default). */
export function goodCount(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

/** Splits trials into good and bad by loss; ties keep the order given (the trials' numbers). */
export function splitByLoss(observations: readonly Observation[]): Split {
  const sorted = observations.map((o, i) => ({ o, i })).sort((a, b) => a.o.loss - b.o.loss || a.i - b.i);
  // Failed and running trials (Infinity) are never good.
  const finite = sorted.filter(({ o }) => Number.isFinite(o.loss)).length;
  // The good share is of the trials with a value: running and failed ones only weigh on the bad side.
  const n = goodCount(finite);
  // Each group back in trial order: older trials weigh less once there are many (see weightsFor).
  const inOrder = (group: typeof sorted) => [...group].sort((a, b) => a.i - b.i).map(({ o }) => o);
  return { good: inOrder(sorted.slice(0, n)), bad: inOrder(sorted.slice(n)) };
}

/**
 * Weights of a group's observations, oldest first: equal up to 25, then the newest 25 weigh 1 and
 * older ones less and less (down to 1/n), so that a long search follows where it is now.
 */
function weightsFor(n: number): number[] {
  if (n < 25) return new Array<number>(n).fill(1);
  const ramp = n - 25;
  return [...Array.from({ length: ramp }, (_, i) => (ramp === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (ramp - 1))), ...new Array<number>(25).fill(1)];
}

type Numeric = Exclude<Dimension, { kind: 'choice' }>;

/** The scale TPE works on for a numeric dimension, and the way back to the dimension's values. */
interface Scale {
  readonly low: number;
  readonly high: number;
  readonly to: (v: number) => number;
  readonly from: (x: number) => number;
}

/**
 * The internal scale of a numeric dimension: log for log-scaled ones, widened by half a step for
 * integers; a normal one within four standard deviations of its mean (of the log for a lognormal).
 */
function scaleOf(dim: Numeric): Scale {
  if (dim.kind === 'normal') {
    const [low, high] = [dim.mu - 4 * dim.sigma, dim.mu + 4 * dim.sigma];
    return dim.log ? { low, high, to: (v) => Math.log(Math.max(v, 1e-300)), from: Math.exp } : { low, high, to: (v) => v, from: (x) => x };
  }
  const half = dim.kind === 'int' ? 0.5 * dim.step : 0;
  if (dim.log) return { low: Math.log(dim.low - half), high: Math.log(dim.high + half), to: Math.log, from: Math.exp };
  return { low: dim.low - half, high: dim.high + half, to: (v) => v, from: (x) => x };
}

/** A point of the internal scale back as a value of the dimension: on its grid, within its bounds. */
function dimensionValue(dim: Numeric, scale: Scale, x: number): number {
  const value = scale.from(x);
  if (dim.kind === 'normal') return snapNormal(dim, value);
  if (dim.kind === 'int') return snapInt(dim, value);
  return snap(dim, value);
}

/** The mixture's component weights for n observations: theirs (see weightsFor), then the prior's, summing to 1. */
function componentWeights(n: number): number[] {
  const raw = [...weightsFor(n), 1];
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((w) => w / total);
}

/**
 * One kernel per observation on a numeric dimension and a broad prior last: each as wide as the
 * larger gap to its neighbours (Hyperopt's rule; at the ends, the one neighbour), clipped so that
 * many trials narrow it but never to a point. A normal dimension's prior is its own distribution;
 * a bounded one's spans the range.
 */
function neighbourKernels(dim: Numeric, scale: Scale, values: readonly number[]): TruncatedNormals {
  const { low, high } = scale;
  const range = high - low || 1;
  const mus = [...values.map(scale.to), (low + high) / 2];
  const order = mus.map((_, i) => i).sort((a, b) => mus[a]! - mus[b]!);
  const sigmas = new Array<number>(mus.length);
  const minSigma = range / Math.min(100, 1 + mus.length);
  order.forEach((index, rank) => {
    const left = rank > 0 ? mus[index]! - mus[order[rank - 1]!]! : 0;
    const right = rank < order.length - 1 ? mus[order[rank + 1]!]! - mus[index]! : 0;
    sigmas[index] = Math.min(range, Math.max(minSigma, left, right));
  });
  sigmas[mus.length - 1] = dim.kind === 'normal' ? dim.sigma : high - low || 1;
  return new TruncatedNormals(mus, sigmas, low, high);
}

/**
 * One kernel per observation on a numeric dimension of a joint model, all as wide (Scott's rule:
 * 0.2 · n^(−1/(d+4)) of the range, clipped as {@link neighbourKernels} clips), and the range-wide
 * prior last.
 */
function scottKernels(scale: Scale, values: readonly number[], dimensions: number): TruncatedNormals {
  const { low, high } = scale;
  const n = values.length;
  const range = high - low || 1;
  const width = 0.2 * Math.max(n, 1) ** (-1 / (dimensions + 4));
  const sigma = Math.min(range, Math.max(range / Math.min(100, n + 2), width * range));
  return new TruncatedNormals([...values.map(scale.to), (low + high) / 2], [...values.map(() => sigma), range], low, high);
}

/** Of candidates drawn from the good trials' mixture, the one most likelier there than in the bad trials'. */
function bestCandidate(good: ProductMixture, bad: ProductMixture, random: Random): number[] {
  let best: number[] = [];
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < candidates; c++) {
    const x = good.sample(random);
    const score = good.logScore(x) - bad.logScore(x);
    if (score > bestScore) [best, bestScore] = [x, score];
  }
  return best;
}

/**
 * A dimension's next value by TPE (Bergstra et al., 2011), each dimension on its own: the trials
 * that reached it are split into good and bad by loss, a Parzen estimator is fit to each, and of
 * candidates drawn from the good one the one with the best density ratio wins. Running trials come
 * in as bad ones (a constant liar), so parallel slots do not propose near-identical params.
 */
export function proposeDimension(dim: Dimension, split: Split, random: Random): number {
  const valuesOf = (observations: readonly Observation[]) => observations.flatMap((o) => (dim.id in o.point ? [o.point[dim.id]!] : []));
  const good = valuesOf(split.good);
  const bad = valuesOf(split.bad);
  if (dim.kind === 'choice') {
    const model = (values: readonly number[]) => new ProductMixture(componentWeights(values.length), [new SmoothedChoices(values, dim.options.length)]);
    return bestCandidate(model(good), model(bad), random)[0]!;
  }
  const scale = scaleOf(dim);
  const model = (values: readonly number[]) => new ProductMixture(componentWeights(values.length), [neighbourKernels(dim, scale, values)]);
  return dimensionValue(dim, scale, bestCandidate(model(good), model(bad), random)[0]!);
}

/**
 * Values for several dimensions at once (TPE with joint kernels, as Optuna's `multivariate`): each
 * trial is one kernel over all of them, so what worked together is proposed together. For the
 * dimensions every trial has (those outside a choice's sub-spaces); the others go one by one.
 */
export function proposeJoint(dims: readonly Dimension[], split: Split, random: Random): Map<string, number> {
  const scales = dims.map((dim) => (dim.kind === 'choice' ? undefined : scaleOf(dim)));
  const model = (observations: readonly Observation[]) =>
    new ProductMixture(
      componentWeights(observations.length),
      dims.map((dim, d) => {
        const values = observations.map((o) => o.point[dim.id]!);
        return dim.kind === 'choice' ? new SmoothedChoices(values, dim.options.length) : scottKernels(scales[d]!, values, dims.length);
      }),
    );
  const best = bestCandidate(model(split.good), model(split.bad), random);
  return new Map(dims.map((dim, d) => [dim.id, dim.kind === 'choice' ? best[d]! : dimensionValue(dim, scales[d]!, best[d]!)]));
}
