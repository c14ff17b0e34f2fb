import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isHyperctlError, runBatch, type SearchConfig } from '../../src/index.js';
import { givenTrial } from '../../src/search/space-values.js';
import { parseSearchSpace, sample } from '../../src/search/space.js';
import { readJournal } from '../../src/store/journal.js';
import type { TrialRecord } from '../../src/state/records.js';
import { tempDir } from '../helpers/tmp.js';

describe('a trial of given params', () => {
  it('takes exactly the sampled params, in the space order, with the coordinates a draw of them would have, sub-spaces too', () => {
    const { space } = parseSearchSpace({
      depth: [3, 5],
      lr: { loguniform: [1e-4, 1] },
      opt: { choice: ['sgd', { name: 'adam', beta: { uniform: [0.8, 0.99] } }] },
      fixed: 7,
    });
    const given = givenTrial(space, { opt: { name: 'adam', beta: 0.9 }, fixed: 7, lr: 0.01 });
    expect(given).toEqual({ point: { lr: 0.01, opt: 1, 'opt[1].beta': 0.9 }, params: { lr: 0.01, opt: { name: 'adam', beta: 0.9 }, fixed: 7 } });
    // The same coordinates as a draw that landed on those values.
    const drawn = sample(space, (dim) => (dim.kind === 'choice' ? 1 : dim.id === 'lr' ? 0.01 : 0.9));
    expect(drawn).toEqual(given);
    expect(givenTrial(space, { lr: 0.01, opt: 'sgd', fixed: 7 })).toEqual({ point: { lr: 0.01, opt: 0 }, params: { lr: 0.01, opt: 'sgd', fixed: 7 } });
  });

  it('says which params are missing, which are not the space’s (grid axes are crossed, not given), and which values it cannot take', () => {
    const { space } = parseSearchSpace({ depth: [3, 5], lr: { loguniform: [1e-4, 1] }, opt: { choice: ['sgd', 'adam'] } });
    expect(givenTrial(space, { depth: 3, lr: 5, opt: 'rmsprop' })).toEqual({
      missing: [],
      extra: ['depth'],
      wrong: ['lr: expected a number from 0.0001 to 1, got 5', 'opt: not one of the choice\'s options, got "rmsprop"'],
    });
    expect(givenTrial(space, { lr: 0.1 })).toEqual({ missing: ['opt'], extra: [], wrong: [] });
  });
});

/** A search of `x` whose trials report x as their loss. */
function search(maxTrials: number, initial?: readonly Record<string, unknown>[]): SearchConfig {
  return {
    name: 'seeded',
    params: { x: { uniform: [0, 1] }, kind: { choice: ['a', 'b'] } },
    execution: { command: `printf 'hyperctl:metrics {{"loss": %s}}\\n' {x}` },
    search: { algorithm: 'tpe', metric: 'loss', max_trials: maxTrials, startup_trials: 2, seed: 3, ...(initial ? { initial } : {}) },
  } as SearchConfig;
}

function trialsIn(root: string): TrialRecord[] {
  return readJournal(join(root, 'seeded', 'journal.jsonl')).flatMap((record) => (record.e === 'trial' ? [record] : []));
}

describe('search.initial', () => {
  const initial = [
    { x: 0.125, kind: 'b' },
    { kind: 'a', x: 0.75 },
  ];

  it('runs its trials first, each once over every run of the search, counted in max_trials and learnt from like any other', async () => {
    const root = tempDir();
    const first = await runBatch(search(1, initial), { batchesDataDir: root });
    expect(first.search?.trials).toBe(1);
    expect(trialsIn(root).map((t) => [t.params, t.seeded])).toEqual([[{ x: 0.125, kind: 'b' }, 'initial']]);
    // Resumed with a larger budget: the second seed, then draws; the first is not run again.
    const second = await runBatch(search(4, initial), { batchesDataDir: root });
    const trials = trialsIn(root);
    expect(trials.map((t) => [t.n, t.params, t.seeded])).toEqual([
      [1, { x: 0.125, kind: 'b' }, 'initial'],
      [2, { x: 0.75, kind: 'a' }, 'initial'],
      [3, expect.anything(), undefined],
      [4, expect.anything(), undefined],
    ]);
    // Their coordinates are a draw's: TPE's model counts them.
    expect(trials[1]!.point).toEqual({ x: 0.75, kind: 0 });
    expect(second.search?.trials).toBe(4);
    expect(second.search?.best?.value).toBeLessThanOrEqual(0.125);
    expect(second.jobs.filter((j) => j.skipped).map((j) => j.params)).toEqual([{ x: 0.125, kind: 'b' }]);
  });

  it('is checked against the space before anything runs, naming the entry and the param', async () => {
    const root = tempDir();
    const error = await runBatch(search(4, [{ x: 0.5, kind: 'a' }, { x: 2, kind: 'c' }, { x: 0.1 }]), { batchesDataDir: root }).catch((e: unknown) => e);
    expect(isHyperctlError(error) && error.code).toBe('E_CONFIG_INVALID');
    expect(isHyperctlError(error) && error.issues).toEqual([
      'search.initial[1].x: expected a number from 0 to 1, got 2',
      'search.initial[1].kind: not one of the choice\'s options, got "c"',
      'search.initial[2].kind: required (a trial given its params gives every sampled param: x, kind)',
    ]);
    expect(existsSync(join(root, 'seeded'))).toBe(false);
    const grid = await runBatch(
      { name: 'g', params: { x: [1, 2] }, execution: { command: 'true' }, search: { algorithm: 'grid', initial: [{ x: 1 }] } },
      { batchesDataDir: root },
    ).catch((e: unknown) => e);
    expect(isHyperctlError(grid) && grid.issues).toEqual([
      'search.initial: the grid algorithm runs every point of its grid; seeding is for random, sobol, tpe and command',
    ]);
  });
});
