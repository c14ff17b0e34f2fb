import { describe, expect, it } from 'vitest';
import { closestNames } from '../../src/text/closest-names.js';

describe('closestNames', () => {
  it('lists every name when there are few, and says when there are none', () => {
    expect(closestNames('x', ['a', 'b'], 'jobs')).toBe('; the jobs are a, b');
    expect(closestNames('x', [], 'batches')).toBe('; there are no batches');
  });

  it('offers the closest of many: typos, case slips and parts of a name', () => {
    const names = Array.from({ length: 50 }, (_, i) => `job-${i}`).concat(['learning_rate', 'Accuracy']);
    expect(closestNames('learnig_rate', names, 'metrics')).toBe('; did you mean learning_rate? (52 metrics in all)');
    expect(closestNames('accuracy', names, 'metrics')).toBe('; did you mean Accuracy? (52 metrics in all)');
    expect(closestNames('rate', names, 'metrics')).toBe('; did you mean learning_rate? (52 metrics in all)');
    expect(closestNames('zzzzzzzzzzzz', names, 'metrics')).toBe('; none of its 52 metrics is close');
  });
});
