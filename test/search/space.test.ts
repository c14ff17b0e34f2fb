import { valueProblem } from '../../src/search/space-values.js';
import { describe, expect, it } from 'vitest';
import { fromNniSpace } from '../../src/search/nni-space.js';
import {
  fromUnit,
  gridCombination,
  gridCombinations,
  gridSize,
  isSearchParams,
  jobParams,
  normalQuantile,
  parseSearchSpace,
  sample,
} from '../../src/search/space.js';

describe('a search space', () => {
  it('makes any grid combination from its index alone, in the order of the whole list: the last axis fastest', () => {
    const { space } = parseSearchSpace({ a: [1, 2], lr: { uniform: [0, 1] }, b: ['x', 'y', 'z'], c: [true, false] });
    expect(gridSize(space)).toBe(12);
    const all = gridCombinations(space);
    expect(all.slice(0, 3)).toEqual([
      { a: 1, b: 'x', c: true },
      { a: 1, b: 'x', c: false },
      { a: 1, b: 'y', c: true },
    ]);
    expect(Array.from({ length: 12 }, (_, i) => gridCombination(space, i))).toEqual(all);
    expect(new Set(all.map((combo) => JSON.stringify(combo))).size).toBe(12);
    expect(gridCombination(space, 12)).toBeUndefined();
    expect(gridCombination(space, -1)).toBeUndefined();
    const million = parseSearchSpace({ i: Array.from({ length: 1000 }, (_, i) => i), j: Array.from({ length: 1000 }, (_, j) => j) }).space;
    expect(gridSize(million)).toBe(1_000_000);
    expect(gridCombination(million, 123_456)).toEqual({ i: 123, j: 456 });
  });

  it('reads distributions, choices of sub-spaces, constants and grid axes, in the order written', () => {
    const { space, issues } = parseSearchSpace({
      lr: { loguniform: [1e-5, 1e-1] },
      wd: { uniform: [0, 0.1], step: 0.01 },
      layers: { int: [2, 8] },
      width: { int: [16, 1024], log: true },
      opt: { choice: ['sgd', 'adam'] },
      sched: { choice: [{ name: 'cosine' }, { name: 'step', gamma: { uniform: [0.1, 0.9] } }] },
      epochs: 10,
      seed: [1, 2, 3],
    });
    expect(issues).toEqual([]);
    expect(space.dims.map((d) => `${d.id}:${d.kind}`)).toEqual([
      'lr:float',
      'wd:float',
      'layers:int',
      'width:int',
      'opt:choice',
      'sched[1].gamma:float',
      'sched:choice',
    ]);
    expect(space.size).toBe(Number.POSITIVE_INFINITY);
    expect(gridCombinations(space)).toEqual([{ seed: 1 }, { seed: 2 }, { seed: 3 }]);
    // The top of every range: the last option, the high bounds.
    const top = sample(space, (dim) => fromUnit(dim, 0.999999));
    expect(top.params).toEqual({
      lr: expect.closeTo(0.1, 5),
      wd: 0.1,
      layers: 8,
      width: 1024,
      opt: 'adam',
      sched: { name: 'step', gamma: expect.closeTo(0.9, 5) },
      epochs: 10,
    });
    expect(Object.keys(top.point)).toEqual(['lr', 'wd', 'layers', 'width', 'opt', 'sched', 'sched[1].gamma']);
    // An option without a sub-space uses none of its dimensions.
    const bottom = sample(space, (dim) => fromUnit(dim, 0));
    expect(bottom.params.sched).toEqual({ name: 'cosine' });
    expect('sched[1].gamma' in bottom.point).toBe(false);
    expect(jobParams(space, bottom.params, { seed: 2 })).toEqual({ ...bottom.params, seed: 2 });
    expect(Object.keys(jobParams(space, bottom.params, { seed: 2 }))).toEqual(['lr', 'wd', 'layers', 'width', 'opt', 'sched', 'epochs', 'seed']);
  });

  it('counts a finite space: ints, steps and the options of choices, sub-spaces included', () => {
    const { space } = parseSearchSpace({
      a: { int: [1, 4] },
      b: { uniform: [0, 1], step: 0.25 },
      c: { choice: ['x', { k: { int: [0, 2] } }] },
      d: { int: [0, 10], step: 5 },
    });
    expect(space.size).toBe(4 * 5 * (1 + 3) * 3);
  });

  it('maps unit coordinates evenly: every integer and every step as likely, log scales in log space, values on their step without noise', () => {
    const { space } = parseSearchSpace({ n: { int: [2, 5] }, w: { uniform: [0, 0.1], step: 0.01 }, l: { loguniform: [1e-4, 1] } });
    const [n, w, l] = space.dims;
    expect([0, 0.24, 0.25, 0.5, 0.75, 0.9999].map((u) => fromUnit(n!, u))).toEqual([2, 2, 3, 4, 5, 5]);
    expect([0, 0.5, 0.64, 0.9999].map((u) => fromUnit(w!, u))).toEqual([0, 0.05, 0.07, 0.1]);
    expect(fromUnit(l!, 0.5)).toBeCloseTo(0.01, 10);
  });

  it('names each wrong field, and knows a search from a grid', () => {
    const { issues } = parseSearchSpace({
      lr: { loguniform: [0, 0.1] },
      wd: { uniform: [0.2, 0.1], step: -1 },
      n: { int: [1.5, 3], foo: 1 },
      o: { choice: [] },
      p: { uniform: [0, 1], choice: [1] },
      q: { choice: [1, 1] },
      r: { uniform: [0] },
      s: [],
    });
    expect(issues).toEqual([
      'params.lr.loguniform: bounds must be > 0 on a log scale, got [0, 0.1]',
      'params.wd.step: expected a number > 0',
      'params.wd.uniform: low must be ≤ high, got [0.2, 0.1]',
      'params.n.foo: unknown key (int takes int, log, step)',
      'params.n.int: bounds must be whole numbers within ±9007199254740991, got [1.5, 3]',
      'params.o.choice: expected a non-empty list of options',
      'params.p.choice: a param takes one distribution, got uniform and choice',
      'params.q.choice: duplicate option 1',
      'params.r.uniform: expected [low, high], two numbers',
      'params.s: a grid axis needs at least one value',
    ]);
    // Numbers that pass as numbers but would come out as null or beyond what a double counts exactly.
    expect(
      parseSearchSpace({ big: { lognormal: [1000, 1] }, wide: { uniform: [-1e308, 1e308] }, huge: { int: [0, 1e300] }, ok: { lognormal: [0, 1] } }).issues,
    ).toEqual([
      'params.big.lognormal: exp(mu + 8·sigma) must be a finite number: expected mu + 8·sigma ≤ 709, got 1008',
      'params.wide.uniform: high - low must be a finite number, got [-1e+308, 1e+308]',
      'params.huge.int: bounds must be whole numbers within ±9007199254740991, got [0, 1e+300]',
    ]);
    expect(isSearchParams({ a: [1, 2], b: { x: 1 } })).toBe(false);
    expect(isSearchParams({ a: [1, 2], b: { x: { int: [1, 2] } } })).toBe(true);
  });
});

describe('normal distributions and NNI search-space files', () => {
  it('samples normal and lognormal params through the normal quantile, on multiples of their step', () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232, 5);
    const { space, issues } = parseSearchSpace({
      m: { normal: [0.9, 0.02] },
      n: { normal: [10, 2], step: 1 },
      s: { lognormal: [0, 1] },
      w: { loguniform: [0.001, 1], step: 0.001 },
    });
    expect(issues).toEqual([]);
    const [m, n, sc, w] = space.dims;
    expect(fromUnit(m!, 0.975)).toBeCloseTo(0.9 + 0.02 * 1.959964, 5);
    expect(fromUnit(n!, 0.84)).toBe(12);
    expect(fromUnit(sc!, 0.5)).toBeCloseTo(1, 9);
    expect(fromUnit(w!, 0.5)).toBe(0.032);
    expect(parseSearchSpace({ m: { normal: [0, 0] } }).issues).toEqual(['params.m.normal: sigma must be > 0, got 0']);
  });

  it("reads every NNI _type, as NNI means it: randint's top excluded, choices of named sub-spaces kept", () => {
    const { params, issues } = fromNniSpace(
      {
        lr: { _type: 'loguniform', _value: [1e-4, 0.1] },
        batch: { _type: 'choice', _value: [16, 32] },
        layers: { _type: 'randint', _value: [1, 4] },
        drop: { _type: 'quniform', _value: [0, 0.5, 0.1] },
        wd: { _type: 'qloguniform', _value: [0.001, 1, 0.001] },
        mom: { _type: 'normal', _value: [0.9, 0.02] },
        n: { _type: 'qnormal', _value: [10, 2, 1] },
        s: { _type: 'lognormal', _value: [0, 1] },
        q: { _type: 'qlognormal', _value: [2, 0.5, 1] },
        model: { _type: 'choice', _value: [{ _name: 'linear' }, { _name: 'mlp', hidden: { _type: 'randint', _value: [8, 64] } }] },
      },
      'space.json',
    );
    expect(issues).toEqual([]);
    expect(params).toEqual({
      lr: { loguniform: [1e-4, 0.1] },
      batch: { choice: [16, 32] },
      layers: { int: [1, 3] },
      drop: { uniform: [0, 0.5], q: 0.1 },
      wd: { loguniform: [0.001, 1], step: 0.001 },
      mom: { normal: [0.9, 0.02] },
      n: { normal: [10, 2], step: 1 },
      s: { lognormal: [0, 1] },
      q: { lognormal: [2, 0.5], step: 1 },
      model: { choice: [{ _name: 'linear' }, { _name: 'mlp', hidden: { int: [8, 63] } }] },
    });
    expect(parseSearchSpace(params).issues).toEqual([]);
    expect(fromNniSpace({ a: { _type: 'gamma', _value: [1] }, b: { _type: 'uniform', _value: [1] }, c: 3 }, 'f.json').issues).toEqual([
      'f.json: a._type: "gamma" is not one of NNI\'s: choice, randint, uniform, quniform, loguniform, qloguniform, normal, qnormal, lognormal, qlognormal',
      'f.json: b._value: uniform takes 2 numbers',
      'f.json: c: expected {"_type": …, "_value": …}',
    ]);
  });
});

describe('a value a sampler gives', () => {
  const { space } = parseSearchSpace({
    x: { uniform: [0, 1] },
    n: { int: [0, 10], step: 2 },
    opt: { choice: ['sgd', { name: 'adam', beta: { uniform: [0.8, 0.99] } }] },
    g: [1, 2],
  });

  it('is taken when it is in the space, and refused naming the param and the bound otherwise', () => {
    expect(valueProblem(space, 'x', 0.5)).toBeUndefined();
    expect(valueProblem(space, 'n', 4)).toBeUndefined();
    expect(valueProblem(space, 'opt', 'sgd')).toBeUndefined();
    expect(valueProblem(space, 'opt', { name: 'adam', beta: 0.9 })).toBeUndefined();
    expect(valueProblem(space, 'x', 99)).toBe('x: expected a number from 0 to 1, got 99');
    expect(valueProblem(space, 'x', '0.5')).toBe('x: expected a finite number, got "0.5"');
    expect(valueProblem(space, 'x', Number.POSITIVE_INFINITY)).toBe('x: expected a finite number, got null');
    expect(valueProblem(space, 'n', 3)).toBe('n: expected 0 plus a multiple of 2, got 3');
    expect(valueProblem(space, 'opt', 'rmsprop')).toBe('opt: not one of the choice\'s options, got "rmsprop"');
    expect(valueProblem(space, 'opt', { name: 'adam', beta: 2 })).toBe('opt: not one of the choice\'s options, got {"name":"adam","beta":2}');
    expect(valueProblem(space, 'g', 1)).toBe('g: not a sampled param of the space');
  });
});
