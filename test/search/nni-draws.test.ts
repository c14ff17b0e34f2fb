import { describe, expect, it } from 'vitest';
import type { SearchSpec } from '../../src/batch/spec.js';
import { fromNniSpace } from '../../src/search/nni-space.js';
import { proposeTrial, type TrialView } from '../../src/search/propose.js';
import { parseSearchSpace } from '../../src/search/space.js';
import { searchSettings } from '../helpers/search-settings.js';

/*
 * Each of NNI's `_type`s, drawn many times by every algorithm, against the distribution NNI's own
 * definition gives (its search-space reference): a value's probability, or the distribution
 * function, computed here from the formula. Draws are seeded: each run draws the same values.
 */

const settings = (algorithm: SearchSpec['algorithm']) => searchSettings(algorithm, 3);

/** The standard normal distribution function (Abramowitz and Stegun 7.1.26: within 1.5e-7). */
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** The probability of each value of `round(X / q) * q`, clipped to [low, high], where `cdf` is X's distribution function. */
function roundedMass(cdf: (x: number) => number, q: number, from: number, to: number, clip?: [number, number]): Map<number, number> {
  const mass = new Map<number, number>();
  for (let k = Math.floor(from / q) - 1; k <= Math.ceil(to / q) + 1; k++) {
    const p = cdf((k + 0.5) * q) - cdf((k - 0.5) * q);
    if (p <= 1e-12) continue;
    let value = k * q;
    if (clip) value = Math.min(clip[1], Math.max(clip[0], value));
    value = Number(value.toPrecision(12));
    mass.set(value, (mass.get(value) ?? 0) + p);
  }
  return mass;
}

const uniformCdf = (low: number, high: number) => (x: number) => Math.min(1, Math.max(0, (x - low) / (high - low)));
const logUniformCdf = (low: number, high: number) => (x: number) => (x <= low ? 0 : x >= high ? 1 : Math.log(x / low) / Math.log(high / low));
const normalCdf = (mu: number, sigma: number) => (x: number) => phi((x - mu) / sigma);
const logNormalCdf = (mu: number, sigma: number) => (x: number) => (x <= 0 ? 0 : phi((Math.log(x) - mu) / sigma));

type Expected = { readonly mass: Map<number | string, number> } | { readonly cdf: (x: number) => number; readonly within: (x: number) => boolean };

/** NNI's documented cases, one per `_type`, with the distribution its definition gives. */
const cases: readonly { readonly type: string; readonly value: readonly unknown[]; readonly expected: Expected }[] = [
  { type: 'choice', value: ['tanh', 'relu', 'sigmoid'], expected: { mass: new Map(['tanh', 'relu', 'sigmoid'].map((v) => [v, 1 / 3])) } },
  { type: 'randint', value: [2, 6], expected: { mass: new Map([2, 3, 4, 5].map((v) => [v, 1 / 4])) } },
  { type: 'uniform', value: [0.1, 0.5], expected: { cdf: uniformCdf(0.1, 0.5), within: (x) => x >= 0.1 && x <= 0.5 } },
  { type: 'quniform', value: [2, 10, 5], expected: { mass: roundedMass(uniformCdf(2, 10), 5, 2, 10, [2, 10]) } },
  { type: 'quniform', value: [-5.5, -0.5, 6], expected: { mass: roundedMass(uniformCdf(-5.5, -0.5), 6, -5.5, -0.5, [-5.5, -0.5]) } },
  { type: 'loguniform', value: [0.0001, 0.1], expected: { cdf: logUniformCdf(0.0001, 0.1), within: (x) => x >= 0.0001 && x <= 0.1 } },
  { type: 'qloguniform', value: [1, 10, 3], expected: { mass: roundedMass(logUniformCdf(1, 10), 3, 1, 10, [1, 10]) } },
  { type: 'normal', value: [1, 0.5], expected: { cdf: normalCdf(1, 0.5), within: Number.isFinite } },
  { type: 'qnormal', value: [10, 2, 1], expected: { mass: roundedMass(normalCdf(10, 2), 1, -2, 22) } },
  { type: 'lognormal', value: [0, 0.5], expected: { cdf: logNormalCdf(0, 0.5), within: (x) => x > 0 } },
  { type: 'qlognormal', value: [1, 0.5, 2], expected: { mass: roundedMass(logNormalCdf(1, 0.5), 2, 0, 60) } },
];

/** `n` trials of `algorithm` over the case's param `x` and a uniform `z` beside it (the space is infinite: values may repeat, as NNI draws them). */
function draws(type: string, value: readonly unknown[], algorithm: SearchSpec['algorithm'], n: number): unknown[] {
  const { params, issues } = fromNniSpace({ x: { _type: type, _value: value }, z: { _type: 'uniform', _value: [0, 1] } }, 'search_space.json');
  expect(issues).toEqual([]);
  const { space } = parseSearchSpace(params);
  const history: TrialView[] = [];
  const seen: unknown[] = [];
  for (let trial = 1; trial <= n; trial++) {
    const proposal = proposeTrial(space, settings(algorithm), trial, history)!;
    seen.push(proposal.params.x);
    // A loss that favours some values, so TPE's model leaves its prior.
    const x = proposal.params.x;
    history.push({ point: proposal.point, params: proposal.params, loss: typeof x === 'number' ? Math.abs(x - 3) : String(x).length });
  }
  return seen;
}

describe("NNI's _types, drawn as NNI defines them", () => {
  describe.each(['random', 'sobol'] as const)('by %s search, 4000 draws each', (algorithm) => {
    it.each(cases.map((c) => [`${c.type} ${JSON.stringify(c.value)}`, c] as const))('%s', (_, { type, value, expected }) => {
      const n = 4000;
      const seen = draws(type, value, algorithm, n);
      if ('mass' in expected) {
        const counts = new Map<unknown, number>();
        for (const x of seen) counts.set(typeof x === 'number' ? Number(x.toPrecision(12)) : x, (counts.get(x) ?? 0) + 1);
        for (const x of counts.keys()) expect(expected.mass.has(x as number), `${x} is no value of ${type} ${JSON.stringify(value)}`).toBe(true);
        for (const [x, p] of expected.mass) {
          // Four standard deviations of a frequency, plus what the normal approximation leaves.
          const allowed = 4 * Math.sqrt((p * (1 - p)) / n) + 0.002;
          expect(Math.abs((counts.get(x) ?? 0) / n - p), `P(${x}) = ${p.toFixed(4)}`).toBeLessThan(allowed);
        }
      } else {
        const sorted = (seen as number[]).slice().sort((a, b) => a - b);
        for (const x of sorted) expect(expected.within(x), `${x} is no value of ${type} ${JSON.stringify(value)}`).toBe(true);
        // Kolmogorov-Smirnov: the largest gap between the drawn and the defined distribution functions, at the 0.1% level.
        let gap = 0;
        sorted.forEach((x, i) => {
          const f = expected.cdf(x);
          gap = Math.max(gap, Math.abs((i + 1) / n - f), Math.abs(i / n - f));
        });
        expect(gap).toBeLessThan(1.95 / Math.sqrt(n));
      }
    });
  });

  it.each(cases.map((c) => [`${c.type} ${JSON.stringify(c.value)}`, c] as const))(
    'by TPE, learning from losses, only values of %s',
    (_, { type, value, expected }) => {
      for (const x of draws(type, value, 'tpe', 80)) {
        if ('mass' in expected) expect(expected.mass.has(typeof x === 'number' ? Number(x.toPrecision(12)) : (x as string)), `${x}`).toBe(true);
        else expect(expected.within(x as number), `${x}`).toBe(true);
      }
    },
  );
});
