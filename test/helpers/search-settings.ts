import type { SearchSpec } from '../../src/batch/spec.js';

/** A search's settings for proposing trials in-process: `loss` minimised, ten startup trials. */
export function searchSettings(algorithm: SearchSpec['algorithm'], seed = 1, multivariate = false): SearchSpec {
  return {
    algorithm,
    multivariate,
    metric: 'loss',
    goal: 'min',
    seed,
    startupTrials: 10,
    space: {},
    template: { command: 'true', retries: 0 },
  };
}
