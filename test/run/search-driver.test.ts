import { describe, expect, it } from 'vitest';
import { normalizeSearch } from '../../src/search/normalize-search.js';
import type { BatchSpec, SearchSpec } from '../../src/batch/spec.js';
import { SearchDriver } from '../../src/run/search-driver.js';
import { BatchState } from '../../src/state/batch-state.js';
import type { TrialRecord } from '../../src/state/records.js';

function gridSearch(goal: 'min' | 'max' = 'min') {
  const spec = normalizeSearch(
    { name: 'grid', params: { x: [0, 1, 2, 3, 4, 5] }, execution: { command: 'true' }, search: { algorithm: 'grid', metric: 'loss', goal } },
    { baseDir: '/tmp', batchesDataDir: '/tmp/batches', seed: () => 1 },
  ) as BatchSpec & { search: SearchSpec };
  const state = new BatchState(spec);
  return { spec, state, driver: new SearchDriver(spec, state) };
}

async function propose(driver: SearchDriver, state: BatchState): Promise<TrialRecord> {
  const trial = await driver.next(0);
  if ('kind' in trial) throw new Error(trial.kind);
  state.apply(trial);
  return trial;
}

function end(state: BatchState, job: string, loss: number | undefined): void {
  state.apply({ e: 'start', job, hash: state.spec(job)!.hash, at: 1 });
  const status = loss === undefined ? 'failed' : 'succeed';
  state.apply({
    e: 'exit',
    job,
    hash: state.spec(job)!.hash,
    status,
    code: loss === undefined ? 1 : 0,
    signal: null,
    startedAt: 1,
    at: 2,
    ...(loss === undefined ? {} : { metrics: { loss } }),
  });
}

describe('a search as it runs', () => {
  it('walks the grid in order, one combination a trial, and says which trials were still running at each proposal', async () => {
    const { state, driver } = gridSearch();
    const first = await propose(driver, state);
    const second = await propose(driver, state);
    expect([first.params, second.params]).toEqual([{ x: 0 }, { x: 1 }]);
    expect(driver.unfinishedJobs()).toBe(2);
    end(state, second.jobs[0]!.name, 3);
    const third = await propose(driver, state);
    expect(third).toMatchObject({ n: 3, params: { x: 2 }, seen: 1, running: [1] });
    expect(driver.unfinishedJobs()).toBe(2);
  });

  it('keeps the best trial as trials end in any order; a tie goes to the earlier trial, a failed one counts for nothing', async () => {
    const { state, driver } = gridSearch();
    const trials: TrialRecord[] = [];
    for (let i = 0; i < 5; i++) trials.push(await propose(driver, state));
    const job = (i: number) => trials[i]!.jobs[0]!.name;
    end(state, job(3), 2);
    expect(driver.best()).toMatchObject({ trial: 4, value: 2 });
    end(state, job(4), 1);
    end(state, job(0), undefined);
    expect(driver.best()).toMatchObject({ trial: 5, value: 1 });
    end(state, job(2), 1);
    expect(driver.best()).toMatchObject({ trial: 3, value: 1, params: { x: 2 } });
    end(state, job(1), 1);
    expect(driver.best()).toMatchObject({ trial: 2, value: 1 });
    expect(driver.unfinishedJobs()).toBe(0);
  });

  it('a driver made on a state that already holds ended trials finds their best at once', async () => {
    const { spec, state, driver } = gridSearch('max');
    for (const loss of [5, 9, 7]) end(state, (await propose(driver, state)).jobs[0]!.name, loss);
    expect(new SearchDriver(spec, state).best()).toMatchObject({ trial: 2, value: 9 });
  });

  it('in a search of several objectives, takes no pruned trial as one that did not report an objective: pruned early, it could not', async () => {
    const spec = normalizeSearch(
      {
        name: 'pareto',
        params: { x: { uniform: [0, 1] } },
        execution: { command: 'true' },
        search: {
          algorithm: 'random',
          metrics: [
            { name: 'error', goal: 'min' },
            { name: 'latency', goal: 'min' },
          ],
          max_trials: 10,
        },
        early_stopping: { rule: 'median', metric: 'error' },
      },
      { baseDir: '/tmp', batchesDataDir: '/tmp/batches', seed: () => 1 },
    ) as BatchSpec & { search: SearchSpec };
    const state = new BatchState(spec);
    const driver = new SearchDriver(spec, state);
    const ended = (job: string, status: 'succeed' | 'pruned', metrics: Record<string, number>) => {
      state.apply({ e: 'start', job, hash: state.spec(job)!.hash, at: 1 });
      state.apply({ e: 'exit', job, hash: state.spec(job)!.hash, status, code: status === 'succeed' ? 0 : null, signal: null, startedAt: 1, at: 2, metrics });
    };
    // Three pruned trials that reported only the error, as early stopping cut them: no warning, no stop.
    for (let i = 0; i < 3; i++) ended((await propose(driver, state)).jobs[0]!.name, 'pruned', { error: 0.5 });
    expect(driver.takeNotes()).toEqual([]);
    expect(driver.blind).toBeUndefined();
    // Three that succeeded without the latency are what a misspelt objective looks like.
    for (let i = 0; i < 3; i++) ended((await propose(driver, state)).jobs[0]!.name, 'succeed', { error: 0.1 });
    expect(driver.takeNotes()).toHaveLength(3);
    expect(driver.blind).toMatch(/the first 3 trials ended without reporting search.metrics\[1\].name "latency"/);
  });
});
