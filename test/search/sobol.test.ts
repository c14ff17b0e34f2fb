import { describe, expect, it } from 'vitest';
import { sobolDimensions, sobolPoint } from '../../src/search/sobol.js';

describe('the scrambled Sobol sequence', () => {
  it('stratifies every coordinate: of the first 2^m points, each of 2^m equal intervals holds exactly one', () => {
    for (const m of [3, 5, 8]) {
      const points = Array.from({ length: 2 ** m }, (_, k) => sobolPoint(11, k, sobolDimensions));
      for (let d = 0; d < sobolDimensions; d++) expect(new Set(points.map((p) => Math.floor(p[d]! * 2 ** m))).size, `dimension ${d}, m ${m}`).toBe(2 ** m);
    }
  });

  it('fills the square evenly in its first two dimensions (a (0, m, 2)-net)', () => {
    const m = 6;
    const points = Array.from({ length: 2 ** m }, (_, k) => sobolPoint(3, k, 2));
    for (let a = 0; a <= m; a++) expect(new Set(points.map(([x, y]) => `${Math.floor(x! * 2 ** a)},${Math.floor(y! * 2 ** (m - a))}`)).size).toBe(2 ** m);
  });

  it('makes point k a pure function of the seed and k, and another seed another sequence', () => {
    expect(sobolPoint(5, 17, 4)).toEqual(sobolPoint(5, 17, 4));
    expect(sobolPoint(6, 17, 4)).not.toEqual(sobolPoint(5, 17, 4));
    for (const x of sobolPoint(5, 1000, 30)) expect(x >= 0 && x < 1).toBe(true);
  });
});
