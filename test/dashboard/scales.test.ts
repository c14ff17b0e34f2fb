import { describe, expect, it } from 'vitest';
import { formatNumber, logTicks, niceTicks, scaleFor, shownRange, spansDecades } from '../../src/dashboard/scales.js';

describe('chart scales', () => {
  it('puts ticks at round numbers within the range', () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.37, 2.9)).toEqual([0.5, 1, 1.5, 2, 2.5]);
    expect(niceTicks(-30, 70)).toEqual([-20, 0, 20, 40, 60]);
  });

  it('puts log ticks at powers of ten, and at 1, 2 and 5 of each over few decades', () => {
    expect(logTicks(1e-5, 0.1)).toEqual([1e-5, 1e-4, 1e-3, 1e-2, 0.1]);
    expect(logTicks(16, 1024)).toEqual([20, 50, 100, 200, 500, 1000]);
  });

  it('draws a log-distributed param on a log scale, a value by its place between the bounds', () => {
    const scale = scaleFor([1e-4, 1e-2], true);
    expect(scale.log).toBe(true);
    expect(scale.at(1e-3)).toBeCloseTo(0.5, 10);
    expect(scale.valueAt(0.5)).toBeCloseTo(1e-3, 12);
  });

  it('chooses a log scale by itself where positive values span two decades', () => {
    expect(spansDecades([0.001, 0.5])).toBe(true);
    expect(spansDecades([1, 50])).toBe(false);
    expect(spansDecades([-1, 500])).toBe(false);
    expect(scaleFor([0.001, 0.02, 0.5]).log).toBe(true);
  });

  it('gives whole numbers whole ticks', () => {
    expect(scaleFor([1, 2]).ticks()).toEqual([1, 2]);
    expect(scaleFor([2, 3, 8]).ticks().every(Number.isInteger)).toBe(true);
  });

  it('leaves a far-off value out of the range and counts it, instead of squashing the rest', () => {
    const losses = [0.31, 0.35, 0.4, 0.42, 0.45, 0.5, 0.52, 0.6, 0.61, 1e6];
    expect(shownRange(losses, false)).toEqual({ low: 0.31, high: 0.61, clippedLow: 0, clippedHigh: 1 });
    // Few values, or values mostly equal: nothing is "far" from the rest.
    expect(shownRange([1, 2, 1000], false).clippedHigh).toBe(0);
    expect(shownRange([1, 1, 1, 1, 1, 1, 1, 1, 50], false).clippedHigh).toBe(0);
  });

  it('writes tick values short: three digits, exponents for the very small and large', () => {
    expect(formatNumber(0.123456)).toBe('0.123');
    expect(formatNumber(1e-4)).toBe('1e-4');
    expect(formatNumber(0.000123456)).toBe('1.23e-4');
    expect(formatNumber(2.5e7)).toBe('2.5e7');
    expect(formatNumber(1500)).toBe('1500');
    expect(formatNumber(0)).toBe('0');
  });
});
