import { describe, expect, it } from 'vitest';
import { logSumExp, ProductMixture, SmoothedChoices, TruncatedNormals } from '../../src/search/parzen.js';
import { randomFor } from '../../src/search/prng.js';

describe("TPE's kernels", () => {
  it('sums in logs without underflow or overflow', () => {
    expect(logSumExp([-2000, -2000])).toBeCloseTo(-2000 + Math.log(2), 12);
    expect(logSumExp([1000, 1000 + Math.log(3)])).toBeCloseTo(1000 + Math.log(4), 12);
    expect(logSumExp([Math.log(0.25), Math.log(0.75)])).toBeCloseTo(0, 12);
    expect(logSumExp([])).toBe(Number.NEGATIVE_INFINITY);
  });

  it('tells two mixtures apart in 200 dimensions, where a sum of exp() is 0 for both', () => {
    const dims = 200;
    const mixture = (centre: number) =>
      new ProductMixture(
        [1],
        Array.from({ length: dims }, () => new TruncatedNormals([centre], [0.05], 0, 1)),
      );
    const x = new Array<number>(dims).fill(0.4);
    const [near, far] = [mixture(0.2).logScore(x), mixture(0.8).logScore(x)];
    // Four and eight widths away in each dimension: e^-1184 and e^-5980, both 0 as doubles.
    expect(Math.exp(near)).toBe(0);
    // The ratio is still known: 200 × (8² − 4²) / 2, the two kernels' masses being equal.
    expect(near - far).toBeCloseTo(4800, 6);
  });

  it('scores a truncated normal by its height times its width, the mass outside the bounds given back', () => {
    const kernels = new TruncatedNormals([0, 0.5], [1, 1], 0, 100);
    // At its centre, a kernel cut in half scores twice the untruncated height (1/√(2π)), times its width.
    const halfMass = 0.5;
    expect(Math.exp(kernels.logAt(0, 0))).toBeCloseTo(1 / Math.sqrt(2 * Math.PI) / halfMass, 5);
    const random = randomFor(3);
    for (let n = 0; n < 200; n++) {
      const x = kernels.sample(0, random);
      expect(x >= 0 && x <= 100).toBe(true);
    }
  });

  it("draws a choice from its kernel's smoothed option, and from the uniform prior last", () => {
    const choices = new SmoothedChoices([2, 0], 3);
    // Two observations: smoothing 1/3, renormalised over 1 + 3 × 1/3.
    expect(Math.exp(choices.logAt(0, 2))).toBeCloseTo((1 / 3 + 1) / 2, 12);
    expect(Math.exp(choices.logAt(0, 1))).toBeCloseTo(1 / 3 / 2, 12);
    expect(Math.exp(choices.logAt(2, 1))).toBeCloseTo(1 / 3, 12);
    const random = randomFor(7);
    const counts = [0, 0, 0];
    for (let n = 0; n < 6000; n++) counts[choices.sample(0, random)]!++;
    expect(counts[2]! / 6000).toBeCloseTo(2 / 3, 1);
    expect(counts[0]! / 6000).toBeCloseTo(1 / 6, 1);
  });
});
