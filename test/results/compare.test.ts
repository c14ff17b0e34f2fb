import { describe, expect, it } from 'vitest';
import { type ComparedJob, compareJobs } from '../../src/results/compare.js';

/** Jobs with many ties and some without the metric, from a fixed seed. */
function jobs(count: number): ComparedJob[] {
  let seed = 7;
  const next = () => {
    seed = (seed * 48271) % 2147483647;
    return seed / 2147483647;
  };
  return Array.from({ length: count }, (_, i) => {
    const value = Math.floor(next() * 8);
    return {
      name: `j${i}`,
      status: next() < 0.8 ? 'succeed' : 'failed',
      params: { lr: Math.floor(next() * 5), model: 'resnet' },
      metrics: value === 0 ? null : { score: value / 2, label: value % 2 ? 'odd' : 'even' },
      durationMs: Math.floor(next() * 5000),
    };
  });
}

describe('compareJobs', () => {
  it('gives the same first rows with --top as sorting them all and cutting, ties in batch order', () => {
    const all = jobs(500);
    for (const sort of ['score', 'label', 'lr', 'name', 'duration'])
      for (const desc of [false, true])
        for (const top of [0, 1, 3, 10, 499, 500, 600]) {
          const whole = compareJobs(all, { sort, desc });
          const cut = compareJobs(all, { sort, desc, top });
          expect(cut.rows, `${sort} ${desc ? 'desc' : 'asc'} top ${top}`).toEqual(whole.rows.slice(0, top));
        }
  });

  it('tells the params that vary from those every job shares', () => {
    const comparison = compareJobs(jobs(50));
    expect(comparison.constants).toEqual({ model: 'resnet' });
    expect(comparison.columns).toEqual(['name', 'status', 'lr', 'score', 'label', 'duration']);
  });
});
