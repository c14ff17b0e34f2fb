import { greatestVolumeSubset, leadingFronts, referenceBeyond } from '../results/pareto.js';
import type { Point } from './space.js';
import { goodCount, type Observation, type Split } from './tpe.js';

/** A trial as multi-objective TPE learns from it: where it was, and its losses (undefined while it runs, or when it failed). */
export interface MultiObservation {
  readonly point: Point;
  readonly losses: readonly number[] | undefined;
}

/**
 * Splits trials into good and bad by Pareto dominance (MOTPE, Ozaki et al., 2020): whole
 * non-domination ranks are good while they fit in the good share (that of one objective, see
 * {@link goodCount}); the rank that does not fit gives those that add the most hypervolume.
 * Running and failed trials are bad. The good trials' kernels weigh alike: weighing each by the
 * hypervolume only it holds (as Optuna does) covered less of ZDT1 and ZDT2 (bench/search).
 */
export function splitByDominance(observations: readonly MultiObservation[]): Split {
  const valued = observations.flatMap((o, i) => (o.losses ? [{ i, losses: o.losses }] : []));
  const n = goodCount(valued.length);
  const chosen = new Set<number>();
  for (const front of leadingFronts(
    valued.map((v) => v.losses),
    n,
  )) {
    if (chosen.size + front.length <= n) for (const k of front) chosen.add(valued[k]!.i);
    else {
      const losses = front.map((k) => valued[k]!.losses);
      for (const k of greatestVolumeSubset(losses, n - chosen.size, referenceBeyond(losses))) chosen.add(valued[front[k]!]!.i);
    }
  }
  const good: Observation[] = [];
  const bad: Observation[] = [];
  // Both groups in trial order, as the single-objective split gives them.
  observations.forEach((o, i) => {
    if (chosen.has(i)) good.push({ point: o.point, loss: 0 });
    else bad.push({ point: o.point, loss: Number.POSITIVE_INFINITY });
  });
  return { good, bad };
}
