// ZDT1 and ZDT2 (Zitzler, Deb and Thiele, 2000), the problems multi-objective samplers are measured
// on: five params in [0, 1], both objectives minimised; the front lies at x2 = … = x5 = 0, with
// f2 = 1 − √f1 (ZDT1, convex) or 1 − f1² (ZDT2, concave). Shared by the benchmark and a test.
import type { SearchSpec } from '../../src/batch/spec.js';
import { proposeTrial, type TrialView } from '../../src/search/propose.js';
import { parseSearchSpace } from '../../src/search/space.js';

export type Zdt = 'zdt1' | 'zdt2';
const keys = ['x1', 'x2', 'x3', 'x4', 'x5'];

export function zdt(problem: Zdt, x: readonly number[]): number[] {
  const f1 = x[0]!;
  const g = 1 + (9 * x.slice(1).reduce((a, b) => a + b, 0)) / (x.length - 1);
  return [f1, g * (problem === 'zdt1' ? 1 - Math.sqrt(f1 / g) : 1 - (f1 / g) ** 2)];
}

/** One search's trials' objective values, proposed one at a time as a run with one slot would. */
export function zdtSearch(problem: Zdt, algorithm: SearchSpec['algorithm'], seed: number, trials: number, multivariate = false): number[][] {
  const space = Object.fromEntries(keys.map((k) => [k, { uniform: [0, 1] }]));
  const { space: parsed } = parseSearchSpace(space);
  const search: SearchSpec = {
    algorithm,
    goal: 'min',
    objectives: [
      { metric: 'f1', goal: 'min' },
      { metric: 'f2', goal: 'min' },
    ],
    seed,
    startupTrials: 10,
    ...(multivariate ? { multivariate } : {}),
    space,
    template: { command: 'true', retries: 0 },
  };
  const history: TrialView[] = [];
  for (let n = 1; n <= trials; n++) {
    const p = proposeTrial(parsed, search, n, history)!;
    history.push({
      point: p.point,
      params: p.params,
      loss: zdt(
        problem,
        keys.map((k) => p.params[k] as number),
      ),
    });
  }
  return history.map((t) => t.loss as number[]);
}
