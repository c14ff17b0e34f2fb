import { describe, expect, it } from 'vitest';
import { dominates, leadingFronts, greatestVolumeSubset, hypervolume, paretoRanks, referenceBeyond } from '../../src/results/pareto.js';
import { randomFor } from '../../src/search/prng.js';

/** Ranks by their definition: peel the vectors no remaining one dominates, again and again. */
function peeledRanks(losses: number[][]): number[] {
  const ranks = new Array<number>(losses.length).fill(0);
  for (let rank = 1; ranks.includes(0); rank++) {
    const left = losses.flatMap((_, i) => (ranks[i] === 0 ? [i] : []));
    // `left` is taken before the pass: a vector peeled in it still hides those it dominates.
    for (const i of left) if (!left.some((j) => dominates(losses[j]!, losses[i]!))) ranks[i] = rank;
  }
  return ranks;
}

function randomLosses(seed: number, n: number, d: number, levels: number): number[][] {
  const random = randomFor(seed);
  // Few levels make ties and repeated vectors, where sweeps go wrong.
  return Array.from({ length: n }, () => Array.from({ length: d }, () => Math.floor(random() * levels)));
}

describe('Pareto ranks', () => {
  it('gives every vector its non-domination rank, ties and repeats included, for 2, 3 and 4 objectives', () => {
    for (let seed = 1; seed <= 60; seed++)
      for (const d of [2, 3, 4]) {
        const losses = randomLosses(seed * 10 + d, 1 + (seed % 40), d, 2 + (seed % 7));
        expect(paretoRanks(losses), `seed ${seed}, ${d} objectives`).toEqual(peeledRanks(losses));
      }
  });

  it('finds the leading fronts until they hold enough, as the ranks give them', () => {
    for (let seed = 1; seed <= 40; seed++)
      for (const d of [2, 3, 4]) {
        const losses = randomLosses(seed * 7 + d, 5 + (seed % 30), d, 2 + (seed % 6));
        const ranks = peeledRanks(losses);
        const wanted = 1 + (seed % 12);
        const fronts = leadingFronts(losses, wanted);
        const expected: number[][] = [];
        for (let rank = 1, held = 0; held < wanted && held < losses.length; rank++) {
          const front = losses.flatMap((_, i) => (ranks[i] === rank ? [i] : []));
          expected.push(front);
          held += front.length;
        }
        expect(fronts, `seed ${seed}, ${d} objectives`).toEqual(expected);
      }
  });

  it('puts equal vectors on the same front', () => {
    expect(
      paretoRanks([
        [1, 2],
        [1, 2],
        [2, 1],
        [2, 2],
      ]),
    ).toEqual([1, 1, 1, 2]);
  });
});

describe('hypervolume', () => {
  it('is the area two objectives dominate below the reference', () => {
    // Steps at (1,3), (2,2), (3,1) under (4,4): 3·1 + 2·1 + 1·1 = 6.
    expect(
      hypervolume(
        [
          [1, 3],
          [2, 2],
          [3, 1],
        ],
        [4, 4],
      ),
    ).toBe(6);
    expect(
      hypervolume(
        [
          [1, 3],
          [2, 2],
          [3, 1],
          [3, 3],
          [5, 0],
        ],
        [4, 4],
      ),
    ).toBe(6);
    expect(hypervolume([], [1, 1])).toBe(0);
  });

  it('slices along a third objective as a sweep would measure it', () => {
    const random = randomFor(3);
    for (let k = 0; k < 20; k++) {
      const points = Array.from({ length: 12 }, () => [random(), random()]);
      // A third objective all at 0 under a reference of 2: the volume is twice the area.
      expect(
        hypervolume(
          points.map(([x, y]) => [x!, y!, 0]),
          [1, 1, 2],
        ),
      ).toBeCloseTo(2 * hypervolume(points, [1, 1]), 12);
    }
    // A cube's corner and a point that adds a slab: 1 + 0.5·1·1.
    expect(
      hypervolume(
        [
          [0, 0, 1],
          [0, 0, 0.5],
        ],
        [1, 1, 2],
      ),
    ).toBeCloseTo(1.5, 12);
  });

  it('is measured up to a reference just beyond the worst vector', () => {
    expect(
      referenceBeyond([
        [1, -2],
        [0, -4],
      ]),
    ).toEqual([1.1, -1.8]);
  });

  it('chooses a subset greedily by the volume it adds', () => {
    // Under (10, 10): (1,1) alone dominates the most; then the two far ones add the same, the earlier wins.
    expect(
      greatestVolumeSubset(
        [
          [9, 0],
          [1, 1],
          [0, 9],
          [2, 2],
        ],
        2,
        [10, 10],
      ),
    ).toEqual([1, 0]);
  });

  it('measures again only the leaders, and still takes what measuring every vector each step would', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const random = randomFor(seed);
      const d = 2 + (seed % 2);
      const losses = Array.from({ length: 15 }, () => Array.from({ length: d }, () => random()));
      const reference = losses[0]!.map(() => 1.1);
      const plain: number[] = [];
      for (let step = 0; step < 6; step++) {
        const volumeWith = (i: number) =>
          hypervolume(
            [...plain, i].map((j) => losses[j]!),
            reference,
          );
        const left = [...losses.keys()].filter((i) => !plain.includes(i));
        plain.push(left.reduce((best, i) => (volumeWith(i) > volumeWith(best) ? i : best)));
      }
      // Vectors that add nothing tie up to rounding: the volumes taken are what must agree, step by step.
      const lazy = greatestVolumeSubset(losses, 6, reference);
      for (let step = 1; step <= 6; step++)
        expect(
          hypervolume(
            lazy.slice(0, step).map((j) => losses[j]!),
            reference,
          ),
          `seed ${seed}, step ${step}`,
        ).toBeCloseTo(
          hypervolume(
            plain.slice(0, step).map((j) => losses[j]!),
            reference,
          ),
          12,
        );
    }
  });
});
