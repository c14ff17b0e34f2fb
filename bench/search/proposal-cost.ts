// What one more trial costs a search as it grows: the time of one proposal (the run's whole path:
// the driver's view of the trials, then the algorithm) with 10, 1,000 and 10,000 trials done, for
// each algorithm. The floor is the same search at 10 trials: a cost that does not grow with the
// trials stays near it. Six params, every trial ended with a value; median of 20 proposals.
// Usage: npx tsx bench/search/proposal-cost.ts [--root DIR] (DIR: another checkout, to compare builds)
import { pathToFileURL } from 'node:url';

const rootAt = process.argv.indexOf('--root');
const root = rootAt === -1 ? new URL('../../', import.meta.url).href : `${pathToFileURL(process.argv[rootAt + 1]!).href}/`;
// Where an older checkout kept it too: builds are compared side by side.
const { normalizeSearch } = await import(`${root}src/search/normalize-search.ts`).catch(() => import(`${root}src/batch/normalize-search.ts`));
const { SearchDriver } = await import(`${root}src/run/search-driver.ts`);
const { BatchState } = await import(`${root}src/state/batch-state.ts`);

const space = {
  a: { uniform: [0, 1] },
  b: { loguniform: [1e-4, 1] },
  c: { int: [1, 64] },
  d: { normal: [0, 1] },
  e: { choice: ['x', 'y', 'z'] },
  f: { uniform: [-5, 5], step: 0.5 },
};

/**
 * A search of `algorithm` with `done` trials ended, each with a loss: its driver. The trials are
 * drawn at random (quick to make), then the search goes on with `algorithm`.
 */
async function searchWith(algorithm: string, done: number) {
  const spec = normalizeSearch(
    {
      name: 'cost',
      params: space,
      execution: { command: 'true' },
      search: { algorithm: 'random', metric: 'loss', goal: 'min', max_trials: 1_000_000, seed: 7 },
    },
    { baseDir: '/tmp', batchesDataDir: '/tmp/hyperctl-bench-batches', seed: () => 7 },
  );
  const state = new BatchState(spec);
  const driver = new SearchDriver(spec, state);
  for (let n = 1; n <= done; n++) {
    const trial = await driver.next(0);
    if ('kind' in trial) throw new Error(trial.kind);
    state.apply(trial);
    const job = trial.jobs[0].name;
    const hash = state.spec(job).hash;
    state.apply({ e: 'start', job, hash, at: 1 });
    const p = trial.params as { a: number; f: number };
    state.apply({ e: 'exit', job, hash, status: 'succeed', code: 0, signal: null, startedAt: 1, at: 2, metrics: { loss: (p.a - 0.3) ** 2 + Math.abs(p.f) } });
  }
  return new SearchDriver({ ...spec, search: { ...spec.search, algorithm } }, state);
}

/** The median time of one proposal, in milliseconds, with `done` trials before it. */
async function proposalMs(algorithm: string, done: number): Promise<number> {
  const driver = await searchWith(algorithm, done);
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const start = process.hrtime.bigint();
    // Proposed, not taken in: each proposal sees the same trials.
    await driver.next(0);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times.sort((x, y) => x - y)[10]!;
}

const counts = [10, 1_000, 10_000];
console.log(`| algorithm | ${counts.map((n) => `${n.toLocaleString('en-US')} trials`).join(' | ')} | 10,000 ÷ 10 |`);
console.log(`|---|${counts.map(() => '---:').join('|')}|---:|`);
for (const algorithm of ['random', 'sobol', 'tpe']) {
  const ms: number[] = [];
  for (const n of counts) ms.push(await proposalMs(algorithm, n));
  console.log(`| ${algorithm} | ${ms.map((m) => `${m < 1 ? m.toFixed(3) : m.toFixed(1)} ms`).join(' | ')} | ${(ms[2]! / ms[0]!).toFixed(1)}× |`);
}
