import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareBatches, frontAcrossBatches, isHyperctlError, openBatch, runBatch, type SearchConfig } from '../../src/index.js';
import { dominates, hypervolume } from '../../src/results/pareto.js';
import { zdtSearch } from '../../bench/search/zdt.js';
import { tempDir as tempRoot } from '../helpers/tmp.js';

/** A search of x and y whose trials report a = x (minimised) and b = y (maximised), and c on even trials only. */
function twoObjectives(overrides: Record<string, unknown> = {}): SearchConfig {
  return {
    name: 'pareto',
    params: { x: { uniform: [0, 1] }, y: { uniform: [0, 1] } },
    execution: { command: `printf 'hyperctl:metrics {{"a": %s, "b": %s}}\\n' {x} {y}` },
    search: {
      algorithm: 'tpe',
      metrics: [
        { name: 'a', goal: 'min' },
        { name: 'b', goal: 'max' },
      ],
      max_trials: 16,
      startup_trials: 4,
      seed: 5,
    },
    ...overrides,
  } as SearchConfig;
}

/** The trials no other dominates, found by comparing every pair: what the front must be, exactly. */
function bruteFront(trials: { trial: number; a: number; b: number }[]): number[] {
  return trials.filter((t) => !trials.some((o) => dominates([o.a, -o.b], [t.a, -t.b]))).map((t) => t.trial);
}

describe('a search of several objectives', () => {
  it('gives exactly the non-dominated trials as its best, the same in its result, the front and info the SDK reads, and the ranks compare gives', async () => {
    const root = tempRoot();
    const result = await runBatch(twoObjectives(), { batchesDataDir: root });
    expect(result.status).toBe('succeed');
    expect(result.search?.objectives).toEqual([
      { metric: 'a', goal: 'min' },
      { metric: 'b', goal: 'max' },
    ]);
    expect(result.search?.best).toBeUndefined();
    const trials = result.jobs.map((job) => ({ trial: Number(job.name.slice('trial-'.length)), a: job.params.x as number, b: job.params.y as number }));
    const expected = bruteFront(trials);
    expect(expected.length).toBeGreaterThan(1);
    expect(result.search?.front?.map((t) => t.trial)).toEqual(expected);
    for (const member of result.search!.front!) expect(member.values).toEqual({ a: member.params.x, b: member.params.y });

    const batch = openBatch('pareto', { batchesDataDir: root });
    const front = await batch.front();
    expect(front?.trials).toEqual(result.search?.front);
    expect((await batch.info()).search?.front).toEqual(result.search?.front);
    // One objective asked for ranks by it alone; none asked is refused, naming the front.
    expect((await batch.best('a'))?.value).toBe(Math.min(...trials.map((t) => t.a)));
    const refused = await batch.best().catch((e: unknown) => e);
    expect(isHyperctlError(refused) && refused.message).toMatch(/searches 2 objectives \(a min, b max\): its best is a Pareto front/);

    const comparison = await batch.compare();
    expect(comparison.rankedBy?.map((o) => o.metric)).toEqual(['a', 'b']);
    const rank = comparison.columns.indexOf('rank');
    const name = comparison.columns.indexOf('name');
    const firstRank = comparison.rows.filter((row) => row[rank] === 1).map((row) => Number(String(row[name]).slice('trial-'.length)));
    expect(firstRank).toEqual(expected);
    // In rank order, each row's rank no less than the one before.
    const ranks = comparison.rows.map((row) => row[rank] as number);
    expect(ranks).toEqual([...ranks].sort((p, q) => p - q));
    // Asked for, the rank sorts as the default does, and backwards with desc.
    expect((await batch.compare({ sort: 'rank' })).rows).toEqual(comparison.rows);
    expect((await batch.compare({ sort: 'rank', desc: true })).rows.map((row) => row[rank])).toEqual([...ranks].reverse());
  });

  it('compares sweeps: the front across searches of the same objectives, each trial with its batch', async () => {
    const root = tempRoot();
    for (const [name, seed] of [
      ['monday', 5],
      ['tuesday', 6],
    ] as const)
      await runBatch({ ...twoObjectives(), name, search: { ...twoObjectives().search, seed } } as SearchConfig, { batchesDataDir: root });
    const across = await frontAcrossBatches(['monday', 'tuesday'], { batchesDataDir: root });
    // Every trial of both, by every pair: those none beats.
    const all = (
      await Promise.all(
        ['monday', 'tuesday'].map(async (batch) =>
          (
            await openBatch(batch, { batchesDataDir: root }).jobs()
          ).jobs.map((job) => ({
            batch,
            trial: Number(job.name.slice('trial-'.length)),
            a: job.metrics!.a as number,
            b: job.metrics!.b as number,
          })),
        ),
      )
    ).flat();
    const expected = all.filter((t) => !all.some((o) => dominates([o.a, -o.b], [t.a, -t.b])));
    expect(across?.trials.map((t) => [t.batch, t.trial])).toEqual(expected.map((t) => [t.batch, t.trial]));
    expect(new Set(across?.trials.map((t) => t.batch)).size).toBe(2);
    // batch compare A B ranks them together: its rank-1 rows are the same trials.
    const compared = await compareBatches(['monday', 'tuesday'], { batchesDataDir: root });
    const [batchAt, nameAt, rankAt] = ['batch', 'name', 'rank'].map((column) => compared.columns.indexOf(column));
    expect(compared.rankedBy?.map((o) => o.metric)).toEqual(['a', 'b']);
    expect(
      compared.rows
        .filter((row) => row[rankAt!] === 1)
        .map((row) => [row[batchAt!], Number(String(row[nameAt!]).slice('trial-'.length))])
        .sort(),
    ).toEqual(expected.map((t) => [t.batch, t.trial]).sort());
    // Searches of other objectives have no front in common.
    await runBatch(
      {
        ...twoObjectives(),
        name: 'other',
        search: {
          ...twoObjectives().search,
          metrics: [
            { name: 'a', goal: 'min' },
            { name: 'b', goal: 'min' },
          ],
        },
      } as SearchConfig,
      {
        batchesDataDir: root,
      },
    );
    await expect(frontAcrossBatches(['monday', 'other'], { batchesDataDir: root })).rejects.toThrow(
      'batch other searches a min, b min, batch monday a min, b max: a front across them needs the same objectives',
    );
  });

  it('is checked before anything runs: two to four objectives, each once, no target, early stopping naming the one it prunes on', async () => {
    const root = tempRoot();
    const issuesOf = async (search: Record<string, unknown>, more: Record<string, unknown> = {}) => {
      const base = twoObjectives();
      const error = await runBatch({ ...base, ...more, search: { ...base.search, ...search } } as SearchConfig, { batchesDataDir: root }).catch(
        (e: unknown) => e,
      );
      return isHyperctlError(error) ? error.issues : error;
    };
    expect(await issuesOf({ metrics: [{ name: 'a', goal: 'min' }] })).toEqual([
      'search.metrics: expected 2 to 4 objectives (one is search.metric and search.goal)',
    ]);
    expect(
      await issuesOf({
        metric: 'a',
        metrics: [
          { name: 'a', goal: 'min' },
          { name: 'a', goal: 'max' },
        ],
      }),
    ).toEqual([
      'search.metric: give either search.metric (and goal) or search.metrics, not both',
      'search.metrics[1].name: a is an objective already; name each metric once',
    ]);
    expect(await issuesOf({ metrics: [{ name: 'a' }, { name: 'b', goal: 'max' }] })).toEqual(['search.metrics[0].goal: required']);
    expect(await issuesOf({ target: 0.1 })).toEqual([
      'search.target: a search of several objectives has no one value to reach; end it by max_trials or max_duration',
    ]);
    expect(await issuesOf({}, { early_stopping: { rule: 'median' } })).toEqual([
      'early_stopping.metric: required in a search of several objectives: the one to prune on (a, b)',
    ]);
    expect(await issuesOf({}, { early_stopping: { rule: 'median', metric: 'b', goal: 'min' } })).toEqual([
      'early_stopping.goal: b is an objective to maximize (search.metrics); drop goal or make it max',
    ]);
    expect(existsSync(join(root, 'pareto'))).toBe(false);
  });

  it('refuses to resume with other objectives, or modelled otherwise, unless asked to continue', async () => {
    const root = tempRoot();
    const base = twoObjectives();
    const budget = (search: Record<string, unknown>) => ({ ...base, search: { ...base.search, max_trials: 4, ...search } }) as SearchConfig;
    expect((await runBatch(budget({}), { batchesDataDir: root })).status).toBe('succeed');
    const flipped = budget({
      metrics: [
        { name: 'a', goal: 'min' },
        { name: 'b', goal: 'min' },
      ],
      multivariate: false,
    });
    const refused = await runBatch(flipped, { batchesDataDir: root }).catch((e: unknown) => e);
    expect(isHyperctlError(refused) && refused.code).toBe('E_SEARCH_CHANGED');
    expect(isHyperctlError(refused) && refused.message).toContain('search.metrics (a min, b max → a min, b min), search.multivariate (true → false) changed');
    expect((await runBatch(flipped, { batchesDataDir: root, continueSearch: true })).status).toBe('succeed');
  });

  it('tells a sampler of its own every objective of every trial', async () => {
    const root = tempRoot();
    // A sampler that answers x = y = 0.5 and writes each message it gets to a file.
    const sampler = `python3 -c "
import json, sys
log = open('messages.jsonl', 'w')
for line in sys.stdin:
    log.write(line); log.flush()
    if 'ask' in json.loads(line):
        print(json.dumps({'params': {'x': 0.5, 'y': 0.25}}), flush=True)
"`;
    const config = twoObjectives({ search: { ...twoObjectives().search, algorithm: 'command', command: sampler, max_trials: 2 } });
    await runBatch(config, { batchesDataDir: root, baseDir: root, parallelism: 1 });
    const { readFileSync } = await import('node:fs');
    const messages = readFileSync(join(root, 'messages.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(messages[0].ask).toMatchObject({
      trial: 1,
      metric: null,
      metrics: [
        { name: 'a', goal: 'min' },
        { name: 'b', goal: 'max' },
      ],
    });
    const tell = messages.find((m) => m.tell)?.tell;
    expect(tell).toEqual({ trial: 1, params: { x: 0.5, y: 0.25 }, value: null, values: { a: 0.5, b: 0.25 }, status: 'succeed' });
  });
});

describe('multi-objective TPE', () => {
  it('covers more of ZDT1 than random draws in 60 trials, over ten seeds', () => {
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const seeds = Array.from({ length: 10 }, (_, i) => i + 1);
    const volume = (algorithm: 'tpe' | 'random', seed: number) => hypervolume(zdtSearch('zdt1', algorithm, seed, 60), [1.1, 10]);
    const tpe = median(seeds.map((seed) => volume('tpe', seed)));
    const random = median(seeds.map((seed) => volume('random', seed)));
    expect(tpe).toBeGreaterThan(random + 0.3);
  });
});
