import { randomFor } from './prng.js';

/**
 * Primitive polynomials and initial direction numbers for Sobol dimensions 2–21, as Joe and Kuo
 * published them (degree s, coefficients a, numbers m). Dimension 1 is van der Corput's.
 */
const initial: readonly (readonly [number, number, readonly number[]])[] = [
  [1, 0, [1]],
  [2, 1, [1, 3]],
  [3, 1, [1, 3, 1]],
  [3, 2, [1, 1, 1]],
  [4, 1, [1, 1, 3, 3]],
  [4, 4, [1, 3, 5, 13]],
  [5, 2, [1, 1, 5, 5, 17]],
  [5, 4, [1, 1, 5, 5, 5]],
  [5, 7, [1, 1, 7, 11, 19]],
  [5, 11, [1, 1, 5, 1, 1]],
  [5, 13, [1, 1, 1, 3, 11]],
  [5, 14, [1, 3, 5, 5, 31]],
  [6, 1, [1, 3, 3, 9, 7, 49]],
  [6, 13, [1, 1, 1, 15, 21, 21]],
  [6, 16, [1, 3, 1, 13, 27, 49]],
  [6, 19, [1, 1, 1, 15, 7, 5]],
  [6, 22, [1, 3, 1, 15, 13, 25]],
  [6, 25, [1, 1, 5, 5, 19, 61]],
  [7, 1, [1, 3, 7, 11, 23, 15, 103]],
  [7, 4, [1, 3, 7, 13, 13, 15, 69]],
];

const bits = 32;

/** Direction numbers V[1..32] of each dimension, as 32-bit unsigned integers. */
const directions: readonly Uint32Array[] = [
  Uint32Array.from({ length: bits }, (_, i) => (2 ** (bits - 1 - i)) >>> 0),
  ...initial.map(([s, a, m]) => {
    const v = new Uint32Array(bits);
    for (let i = 0; i < bits; i++) {
      if (i < s) v[i] = (m[i]! * 2 ** (bits - 1 - i)) >>> 0;
      else {
        let x = v[i - s]! ^ (v[i - s]! >>> s);
        for (let k = 1; k < s; k++) if ((a >>> (s - 1 - k)) & 1) x ^= v[i - k]!;
        v[i] = x >>> 0;
      }
    }
    return v;
  }),
];

/** How many dimensions get Sobol coordinates; further ones are drawn at random. */
export const sobolDimensions = directions.length;

/**
 * Point `k` of a scrambled Sobol sequence in `dimensions` dimensions, each coordinate in [0, 1): a
 * pure function of (seed, k). Scrambled by a random digital shift per dimension (the seed's), which
 * keeps the sequence's stratification: of the first 2^m points, each interval [j/2^m, (j+1)/2^m)
 * of a coordinate holds exactly one.
 */
export function sobolPoint(seed: number, k: number, dimensions: number): number[] {
  const shifts = randomFor(seed, 0x50b01);
  const gray = k ^ Math.floor(k / 2);
  const point: number[] = [];
  for (let d = 0; d < dimensions; d++) {
    const shift = Math.floor(shifts() * 2 ** bits) >>> 0;
    if (d >= directions.length) {
      point.push(randomFor(seed, k, d)());
      continue;
    }
    let x = 0;
    const v = directions[d]!;
    for (let bit = 0, g = gray; g > 0 && bit < bits; bit++, g = Math.floor(g / 2)) if (g % 2 === 1) x ^= v[bit]!;
    point.push(((x ^ shift) >>> 0) / 2 ** bits);
  }
  return point;
}
