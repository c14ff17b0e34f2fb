import { describe, expect, it } from 'vitest';
import type { SearchSpec } from '../../src/batch/spec.js';
import { proposeTrial, type TrialView } from '../../src/search/propose.js';
import { fromNniSpace } from '../../src/search/nni-space.js';
import { parseSearchSpace } from '../../src/search/space.js';
import { searchSettings } from '../helpers/search-settings.js';

const settings = searchSettings;

/** Branin's function: minimum 0.397887 at three points of [-5, 10] × [0, 15]. */
function branin(x: number, y: number): number {
  const b = 5.1 / (4 * Math.PI ** 2);
  return (y - b * x * x + (5 / Math.PI) * x - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x) + 10;
}

/** A whole search run in-process, one trial at a time: the best value it found. */
function bestOf(algorithm: SearchSpec['algorithm'], seed: number, trials: number, multivariate = false): number {
  const { space } = parseSearchSpace({ x: { uniform: [-5, 10] }, y: { uniform: [0, 15] } });
  const history: TrialView[] = [];
  for (let n = 1; n <= trials; n++) {
    const p = proposeTrial(space, settings(algorithm, seed, multivariate), n, history)!;
    history.push({ point: p.point, params: p.params, loss: branin(p.params.x as number, p.params.y as number) });
  }
  return Math.min(...history.map((t) => t.loss as number));
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe('proposing trials', () => {
  it('draws a finite space without replacement, then says it is exhausted', () => {
    const { space } = parseSearchSpace({ a: { int: [1, 3] }, b: { choice: ['w', 'x', 'y', 'z'] } });
    for (const algorithm of ['random', 'sobol', 'tpe'] as const) {
      const history: TrialView[] = [];
      for (let n = 1; n <= 12; n++) {
        const p = proposeTrial(space, settings(algorithm), n, history);
        expect(p, `${algorithm} trial ${n}`).toBeDefined();
        history.push({ point: p!.point, params: p!.params, loss: n });
      }
      expect(new Set(history.map((t) => JSON.stringify(t.params))).size).toBe(12);
      expect(proposeTrial(space, settings(algorithm), 13, history)).toBeUndefined();
    }
  });

  it('proposes the same params for the same trial number, seed and history, and others for another seed', () => {
    const { space } = parseSearchSpace({ x: { uniform: [0, 1] }, k: { choice: ['a', 'b', 'c'] } });
    const history: TrialView[] = Array.from({ length: 12 }, (_, i) => ({
      point: { x: i / 12, k: i % 3 },
      params: { x: i / 12, k: 'abc'[i % 3]! },
      loss: Math.abs(i / 12 - 0.3),
    }));
    for (const algorithm of ['random', 'sobol', 'tpe'] as const) {
      expect(proposeTrial(space, settings(algorithm), 13, history)).toEqual(proposeTrial(space, settings(algorithm), 13, history));
      expect(proposeTrial(space, settings(algorithm, 2), 13, history)).not.toEqual(proposeTrial(space, settings(algorithm), 13, history));
    }
  });

  it('walks a grid in order', () => {
    const { space } = parseSearchSpace({ a: [1, 2], b: ['x', 'y'] });
    const params = [1, 2, 3, 4, 5].map((n) => proposeTrial(space, settings('grid'), n, [])?.params);
    expect(params).toEqual([{ a: 1, b: 'x' }, { a: 1, b: 'y' }, { a: 2, b: 'x' }, { a: 2, b: 'y' }, undefined]);
  });

  it('TPE finds better values of Branin than random search in 40 trials (median of 9 seeds)', () => {
    const seeds = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    const tpe = median(seeds.map((seed) => bestOf('tpe', seed, 40)));
    const random = median(seeds.map((seed) => bestOf('random', seed, 40)));
    expect(tpe).toBeLessThan(random);
    expect(tpe).toBeLessThan(1.5);
  });

  it('multivariate TPE, with joint kernels, also beats random search, and is as reproducible', () => {
    const seeds = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    const joint = median(seeds.map((seed) => bestOf('tpe', seed, 40, true)));
    expect(joint).toBeLessThan(median(seeds.map((seed) => bestOf('random', seed, 40))));
    expect(bestOf('tpe', 3, 30, true)).toBe(bestOf('tpe', 3, 30, true));
    // A sub-space's dimensions, which not every trial has, still go one by one.
    const { space } = parseSearchSpace({ a: { uniform: [0, 1] }, b: { choice: [{ k: 'p' }, { k: 'q', c: { int: [1, 9] } }] } });
    const history: TrialView[] = [];
    for (let n = 1; n <= 30; n++) {
      const p = proposeTrial(space, settings('tpe', 1, true), n, history)!;
      history.push({ point: p.point, params: p.params, loss: (p.params.a as number) + ((p.params.b as { c?: number }).c ?? 5) });
    }
    expect(history.some((t) => 'b[1].c' in t.point)).toBe(true);
  });

  it('does not propose near-identical params for trials that run side by side (running trials count as bad)', () => {
    const { space } = parseSearchSpace({ x: { uniform: [-5, 10] }, y: { uniform: [0, 15] } });
    const history: TrialView[] = [];
    for (let n = 1; n <= 20; n++) {
      const p = proposeTrial(space, settings('tpe'), n, history)!;
      history.push({ point: p.point, params: p.params, loss: branin(p.params.x as number, p.params.y as number) });
    }
    // Four slots free at once: each proposal sees the others as running.
    for (let n = 21; n <= 24; n++) {
      const p = proposeTrial(space, settings('tpe'), n, history)!;
      history.push({ point: p.point, params: p.params, loss: undefined });
    }
    const running = history.slice(20).map((t) => [t.params.x as number, t.params.y as number] as const);
    for (let i = 0; i < running.length; i++)
      for (let j = i + 1; j < running.length; j++) expect(Math.hypot(running[i]![0] - running[j]![0], running[i]![1] - running[j]![1])).toBeGreaterThan(0.05);
  });
});

describe('every algorithm proposes only values of the space', () => {
  it('keeps stepped ints and floats on their grid, never past its last point, for random spaces and losses that pull to the top', () => {
    let state = 7;
    const next = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31;
    };
    for (let round = 0; round < 12; round++) {
      const low = Math.floor(next() * 10);
      const step = 1 + Math.floor(next() * 5);
      const high = low + step * (1 + Math.floor(next() * 4)) + Math.floor(next() * step);
      const fLow = Math.round(next() * 40) / 10;
      const fStep = 0.5 + Math.floor(next() * 4) / 2;
      const fHigh = fLow + fStep * 3 + next() * fStep;
      const { space } = parseSearchSpace({ n: { int: [low, high], step }, f: { uniform: [fLow, fHigh], step: fStep }, k: { int: [1, 1000], log: true } });
      const onGrid = (value: number, from: number, by: number, to: number) =>
        value >= from && value <= to + 1e-9 && Math.abs((value - from) / by - Math.round((value - from) / by)) < 1e-9;
      for (const algorithm of ['random', 'sobol', 'tpe'] as const) {
        const history: TrialView[] = [];
        for (let n = 1; n <= 30; n++) {
          const proposal = proposeTrial(space, { ...settings(algorithm, round + 1), startupTrials: 5 }, n, history);
          if (!proposal) break;
          const { n: int, f, k } = proposal.params as { n: number; f: number; k: number };
          expect(onGrid(int, low, step, high), `${algorithm}: n=${int} of [${low}, ${high}] step ${step}`).toBe(true);
          expect(onGrid(f, fLow, fStep, fHigh), `${algorithm}: f=${f} of [${fLow}, ${fHigh}] step ${fStep}`).toBe(true);
          expect(Number.isInteger(k) && k >= 1 && k <= 1000, `${algorithm}: k=${k}`).toBe(true);
          // The higher, the better: TPE is pulled to the top of every range.
          history.push({ point: proposal.point, params: proposal.params, loss: -(int + f) });
        }
      }
    }
  });
});

describe('every algorithm proposes only values of the space, sub-spaces and NNI spaces too', () => {
  it('keeps stepped logs, rounded normals and the params of whichever sub-space was chosen on their own values, for random spaces', () => {
    let state = 11;
    const next = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31;
    };
    const multipleOf = (value: number, q: number) => Math.abs(value / q - Math.round(value / q)) < 1e-9;
    for (let round = 0; round < 10; round++) {
      const q = 1 + Math.floor(next() * 4);
      const low = 1 + Math.floor(next() * 5);
      const high = low + 1 + Math.floor(next() * 30);
      const [mu, sigma] = [Math.round(next() * 20) - 10, 0.5 + next() * 3];
      const nni = {
        a: { _type: 'qloguniform', _value: [low, high, q] },
        b: { _type: 'quniform', _value: [-high, -low + 0.5, q] },
        c: { _type: 'qnormal', _value: [mu, sigma, q] },
        d: { _type: 'qlognormal', _value: [1, 0.5, q] },
        m: {
          _type: 'choice',
          _value: [
            { _name: 'tree', depth: { _type: 'randint', _value: [low, high] } },
            { _name: 'net', lr: { _type: 'loguniform', _value: [1e-4, 1e-1] }, width: { _type: 'qloguniform', _value: [8, 512, 8] } },
          ],
        },
      };
      const { params, issues } = fromNniSpace(nni, 'search_space.json');
      expect(issues).toEqual([]);
      const { space } = parseSearchSpace(params);
      for (const algorithm of ['random', 'sobol', 'tpe'] as const) {
        const history: TrialView[] = [];
        for (let n = 1; n <= 30; n++) {
          const proposal = proposeTrial(space, { ...settings(algorithm, round + 1), startupTrials: 5 }, n, history)!;
          const p = proposal.params as { a: number; b: number; c: number; d: number; m: Record<string, unknown> };
          const at = `${algorithm} round ${round}: ${JSON.stringify(p)}`;
          expect(p.a >= low && p.a <= high && (p.a === low || p.a === high || multipleOf(p.a, q)), at).toBe(true);
          expect(p.b >= -high && p.b <= -low + 0.5 && (p.b === -high || p.b === -low + 0.5 || multipleOf(p.b, q)), at).toBe(true);
          expect(multipleOf(p.c, q) && multipleOf(p.d, q) && p.d >= 0, at).toBe(true);
          if (p.m._name === 'tree') {
            expect(Object.keys(p.m).sort(), at).toEqual(['_name', 'depth']);
            expect(Number.isInteger(p.m.depth) && (p.m.depth as number) >= low && (p.m.depth as number) < high, at).toBe(true);
          } else {
            expect(Object.keys(p.m).sort(), at).toEqual(['_name', 'lr', 'width']);
            const width = p.m.width as number;
            expect((p.m.lr as number) >= 1e-4 && (p.m.lr as number) <= 1e-1 && width >= 8 && width <= 512 && multipleOf(width, 8), at).toBe(true);
          }
          // The higher, the better: TPE is pulled to the top of every range.
          history.push({ point: proposal.point, params: proposal.params, loss: -(p.a + p.b + p.c) });
        }
      }
    }
  });
});

describe('a stepped log-scaled float', () => {
  it('counts and draws every value it can take: NNI qloguniform [1, 10, 3] is 1, 3, 6 and 9', () => {
    const { space } = parseSearchSpace({ x: { loguniform: [1, 10], step: 3 } });
    expect(space.size).toBe(4);
    for (const algorithm of ['random', 'sobol', 'tpe'] as const) {
      const history: TrialView[] = [];
      for (let n = 1; n <= 5; n++) {
        const proposal = proposeTrial(space, settings(algorithm), n, history);
        if (!proposal) break;
        history.push({ point: proposal.point, params: proposal.params, loss: proposal.params.x as number });
      }
      expect(
        history.map((t) => t.params.x).sort((a, b) => (a as number) - (b as number)),
        algorithm,
      ).toEqual([1, 3, 6, 9]);
    }
  });
});

describe("NNI's quniform", () => {
  it('rounds to multiples of q and clips to the bounds, as NNI defines it: [2, 10, 5] gives 2, 5 and 10', () => {
    const { params, issues } = fromNniSpace({ x: { _type: 'quniform', _value: [2, 10, 5] }, y: { _type: 'quniform', _value: [-5.5, -0.5, 6] } }, 'ss.json');
    expect(issues).toEqual([]);
    const { space } = parseSearchSpace(params);
    expect(space.size).toBe(3 * 2);
    for (const algorithm of ['random', 'sobol', 'tpe'] as const) {
      const seen = { x: new Set<number>(), y: new Set<number>() };
      const history: TrialView[] = [];
      for (let n = 1; n <= 7; n++) {
        const proposal = proposeTrial(space, settings(algorithm), n, history);
        if (!proposal) break;
        seen.x.add(proposal.params.x as number);
        seen.y.add(proposal.params.y as number);
        history.push({ point: proposal.point, params: proposal.params, loss: (proposal.params.x as number) + (proposal.params.y as number) });
      }
      expect(history, algorithm).toHaveLength(6);
      expect(
        [...seen.x].sort((a, b) => a - b),
        algorithm,
      ).toEqual([2, 5, 10]);
      // round(x / 6) over [-5.5, -0.5] is -1 or 0: -6 clipped to -5.5, 0 clipped to -0.5.
      expect(
        [...seen.y].sort((a, b) => a - b),
        algorithm,
      ).toEqual([-5.5, -0.5]);
    }
  });
});
