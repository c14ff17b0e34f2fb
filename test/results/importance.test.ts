import { describe, expect, it } from 'vitest';
import { paramImportances, type ValuedParams } from '../../src/results/importance.js';
import { randomFor } from '../../src/search/prng.js';

/** `n` rows of random params in [0, 1) and the value `f` gives them. */
function rows(n: number, f: (p: Record<string, number>) => number, keys = ['x', 'y', 'z']): ValuedParams[] {
  const random = randomFor(7);
  return Array.from({ length: n }, () => {
    const params = Object.fromEntries(keys.map((key) => [key, random()]));
    return { params, value: f(params) };
  });
}

describe('param importance (fANOVA over a random forest)', () => {
  it('ranks a dominant param first and an unused one last, with shares that sum to 1', () => {
    const found = paramImportances(rows(200, ({ x, y }) => 10 * x! + y!));
    expect(found.map((p) => p.param)).toEqual(['x', 'y', 'z']);
    expect(found[0]!.importance).toBeGreaterThan(0.9);
    expect(found[2]!.importance).toBeLessThan(0.02);
    expect(found.reduce((sum, p) => sum + p.importance, 0)).toBeCloseTo(1, 10);
  });

  it('gives each of two equal effects about half', () => {
    const found = paramImportances(rows(300, ({ x, y }) => x! + y!));
    const share = Object.fromEntries(found.map((p) => [p.param, p.importance]));
    expect(share.x).toBeGreaterThan(0.35);
    expect(share.y).toBeGreaterThan(0.35);
    expect(share.z).toBeLessThan(0.05);
  });

  it('weighs categorical params and a sub-space’s params, absent where another option was chosen', () => {
    const random = randomFor(3);
    const data: ValuedParams[] = Array.from({ length: 240 }, (_, i) => {
      const opt = ['sgd', 'adam', 'rmsprop'][i % 3]!;
      const lr = random();
      const params: ValuedParams['params'] = opt === 'adam' ? { lr, opt: { name: opt, beta: random() } } : { lr, opt: { name: opt } };
      return { params, value: (opt === 'sgd' ? 5 : 0) + 0.5 * lr };
    });
    const found = paramImportances(data);
    expect(found.map((p) => [p.param, p.kind])).toEqual([
      ['opt.name', 'categorical'],
      ['lr', 'numeric'],
      ['opt.beta', 'categorical'],
    ]);
    expect(found[0]!.importance).toBeGreaterThan(0.9);
  });

  it('is the same for the same rows and seed, leaves out params that never vary, and is all 0 for a flat metric', () => {
    const data = rows(100, ({ x, y }) => x! * y!);
    expect(paramImportances(data, { seed: 4 })).toEqual(paramImportances(data, { seed: 4 }));
    const constant = data.map((row) => ({ params: { ...row.params, fixed: 1 }, value: row.value }));
    expect(paramImportances(constant).map((p) => p.param)).not.toContain('fixed');
    expect(paramImportances(data.map((row) => ({ ...row, value: 3 }))).every((p) => p.importance === 0)).toBe(true);
  });
});
