import { describe, expect, expectTypeOf, it } from 'vitest';
import { defineSearch, type JobParamsOf } from '../../src/index.js';

describe('defineSearch', () => {
  it('types the params a search gives its jobs: numbers for distributions, the options of a choice, one value of a list', () => {
    const search = defineSearch({
      params: {
        lr: { loguniform: [1e-5, 1e-1] },
        layers: { int: [2, 8] },
        opt: { choice: ['sgd', 'adam'] },
        sched: { choice: [{ name: 'cosine' }, { name: 'step', gamma: { uniform: [0.1, 0.9] } }] },
        seed: [1, 2, 3],
        epochs: 10,
      },
      execution: { command: 'python3 train.py {args}' },
      search: { algorithm: 'tpe', metric: 'loss', max_trials: 50 },
    });
    expect(search.search.metric).toBe('loss');
    expectTypeOf<JobParamsOf<typeof search>>().toEqualTypeOf<{
      lr: number;
      layers: number;
      opt: 'sgd' | 'adam';
      sched: { name: 'cosine' } | { name: 'step'; gamma: number };
      seed: 1 | 2 | 3;
      epochs: 10;
    }>();
  });
});
