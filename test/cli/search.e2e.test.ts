import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readJournal } from '../../src/store/journal.js';
import { quickRun, runCli, startCli } from '../helpers/cli.js';
import { exampleCopy } from '../helpers/examples.js';
import { seededRandom } from '../helpers/fault-trials.js';
import { ensureCommand } from '../helpers/system.js';
import { tempDir } from '../helpers/tmp.js';

let noPython: string | undefined;
beforeAll(() => {
  noPython = ensureCommand('python3', 'python3');
});

/** Branin's function as a job: awk computes it from the placeholders and prints the metrics line. */
const branin = `awk -v x={x} -v y={y} 'BEGIN { pi = atan2(0, -1); b = 5.1 / (4 * pi * pi); f = (y - b * x * x + 5 / pi * x - 6) ^ 2 + 10 * (1 - 1 / (8 * pi)) * cos(x) + 10; printf "hyperctl:metrics {\\"loss\\": %.12f}\\n", f }'`;

function searchConfig(dir: string, search: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  const path = join(dir, `search-${Object.keys(extra).length}-${JSON.stringify(search).length}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      name: 'branin',
      params: { x: { uniform: [-5, 10] }, y: { uniform: [0, 15] } },
      execution: { command: branin },
      search: { algorithm: 'tpe', metric: 'loss', goal: 'min', max_trials: 24, startup_trials: 6, seed: 3, ...search },
      ...extra,
    }),
  );
  return path;
}

/** The trials a batch folder's journal holds, in order: their numbers and params. */
function trials(root: string, batch = 'branin'): { n: number; params: unknown }[] {
  return readJournal(join(root, batch, 'journal.jsonl')).flatMap((r) => (r.e === 'trial' ? [{ n: r.n, params: r.params }] : []));
}

/** A search of two objectives: a (down) and b (up), from x and y; awk keeps it free of Python. */
function twoObjectivesConfig(dir: string): string {
  const path = join(dir, 'two-objectives.json');
  writeFileSync(
    path,
    JSON.stringify({
      name: 'two',
      params: { x: { uniform: [0, 1] }, y: { uniform: [0, 1] }, k: { choice: ['p', 'q'] } },
      execution: { command: `awk -v x={x} -v y={y} 'BEGIN { printf "hyperctl:metrics {\\"a\\": %.9f, \\"b\\": %.9f}\\n", x + y * y, y - x * x }'` },
      search: {
        metrics: [
          { name: 'a', goal: 'min' },
          { name: 'b', goal: 'max' },
        ],
        max_trials: 20,
        startup_trials: 5,
        seed: 4,
      },
    }),
  );
  return path;
}

/**
 * Runs a search whole in one folder, and in another killed with SIGKILL six times at seeded random
 * instants, then run to its end; checks that both proposed the same `count` trials, in order.
 */
async function killedAndResumed(config: string, batch: string, count: number): Promise<{ whole: string; cut: string }> {
  const whole = tempDir();
  expect((await runCli(['run', ...quickRun, config, '--batches-data-dir', whole])).code).toBe(0);
  const expected = trials(whole, batch);
  expect(expected.map((t) => t.n)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
  const { seed, next } = seededRandom();
  const cut = tempDir();
  for (let kill = 0; kill < 6; kill++) {
    const run = startCli(['run', ...quickRun, config, '--batches-data-dir', cut]);
    // Somewhere in the first second or so: before, between and during trials.
    await new Promise((resolve) => setTimeout(resolve, 150 + next() * 900));
    run.child.kill('SIGKILL');
    await run.done;
  }
  const last = await runCli(['run', ...quickRun, config, '--batches-data-dir', cut]);
  expect(last.code, `seed ${seed}: ${last.stderr}`).toBe(0);
  expect(trials(cut, batch), `HYPERCTL_FAULT_SEED=${seed}`).toEqual(expected);
  return { whole, cut };
}

describe('hyperctl run on a search of several objectives', () => {
  it('runs the multi-objective example: its front in the summary, batch best, --json and show; compare ranks by it', async ({ skip }) => {
    if (noPython) skip(noPython);
    const root = tempDir();
    const dir = exampleCopy('multi-objective');
    const { code, stdout, stderr } = await runCli(['run', join(dir, 'search.yml'), '--batches-data-dir', root, '--port', '0']);
    expect(code, stderr).toBe(0);
    // Trials pruned on the error never reported their latency: that is no misspelt objective.
    expect(stderr).not.toContain('ended without reporting');
    expect(stdout).toMatch(
      /search \(tpe\): 24 trials; stopped: max_trials reached \(24\)\nPareto front: \d+ trials? no other beats in every one of error \(min\), latency_ms \(min\)/,
    );
    const best = JSON.parse((await runCli(['batch', 'best', 'multi-objective-example', '--json', '--batches-data-dir', root])).stdout) as {
      objectives: unknown;
      front: { trial: number; values: { error: number; latency_ms: number } }[];
    };
    expect(best.objectives).toEqual([
      { metric: 'error', goal: 'min' },
      { metric: 'latency_ms', goal: 'min' },
    ]);
    // Exactly the succeeded trials no other beats in both, by every pair.
    const jobs = JSON.parse((await runCli(['job', 'list', '-b', 'multi-objective-example', '--json', '--batches-data-dir', root])).stdout) as {
      name: string;
      status: string;
      reason: string | null;
      metrics: { error: number; latency_ms: number };
    }[];
    const done = jobs.filter((j) => j.status === 'succeed');
    const beaten = (j: (typeof done)[number]) =>
      done.some(
        (o) =>
          o.metrics.error <= j.metrics.error &&
          o.metrics.latency_ms <= j.metrics.latency_ms &&
          (o.metrics.error < j.metrics.error || o.metrics.latency_ms < j.metrics.latency_ms),
      );
    expect(best.front.map((t) => `trial-${String(t.trial).padStart(4, '0')}`)).toEqual(done.filter((j) => !beaten(j)).map((j) => j.name));
    // Pruned on error, as the config names: pruned trials are on no front.
    expect(jobs.some((j) => j.status === 'pruned')).toBe(true);
    for (const job of jobs.filter((j) => j.status === 'pruned')) expect(job.reason).toMatch(/^pruned by the median rule at step \d+: best error /);
    const text = (await runCli(['batch', 'best', 'multi-objective-example', '--batches-data-dir', root])).stdout;
    expect(text.split('\n')[0]).toBe(
      `Pareto front: ${best.front.length} trials no other beats in every one of error (min), latency_ms (min); by error, best first`,
    );
    const show = (await runCli(['batch', 'show', 'multi-objective-example', '--batches-data-dir', root])).stdout;
    expect(show).toContain(`search:   tpe, 24/24 trials; Pareto front: ${best.front.length} trials over error (min), latency_ms (min)`);
    const compared = JSON.parse((await runCli(['batch', 'compare', 'multi-objective-example', '--json', '--batches-data-dir', root])).stdout) as {
      name: string;
      rank?: number;
    }[];
    expect(
      compared
        .filter((row) => row.rank === 1)
        .map((row) => row.name)
        .sort(),
    ).toEqual(done.filter((j) => !beaten(j)).map((j) => j.name));
    expect(compared.slice(best.front.length).every((row) => row.rank === undefined || row.rank > 1)).toBe(true);
    const one = JSON.parse((await runCli(['batch', 'best', 'multi-objective-example', '--metric', 'latency_ms', '--json', '--batches-data-dir', root])).stdout);
    expect(one).toMatchObject({ metric: 'latency_ms', goal: 'min', goalFrom: 'search', value: Math.min(...done.map((j) => j.metrics.latency_ms)) });
  });

  it('batch best of two such searches prints the front across them, each trial with its batch', async () => {
    const dir = tempDir();
    const root = tempDir();
    const config = twoObjectivesConfig(dir);
    for (const name of ['two', 'two-again'])
      expect((await runCli(['run', ...quickRun, config, '--batch-name', name, '--batches-data-dir', root])).code).toBe(0);
    const text = (await runCli(['batch', 'best', 'two', 'two-again', '--batches-data-dir', root])).stdout;
    expect(text).toMatch(/^Pareto front: \d+ trials? no other beats in every one of a \(min\), b \(max\)/);
    expect(text.split('\n')[1]).toMatch(/^BATCH +TRIAL +A +B +PARAMS$/);
    const json = JSON.parse((await runCli(['batch', 'best', 'two', 'two-again', '--json', '--batches-data-dir', root])).stdout) as {
      front: { batch: string }[];
    };
    expect(json.front.length).toBeGreaterThan(0);
    expect(json.front.every((t) => t.batch === 'two' || t.batch === 'two-again')).toBe(true);
  });

  it('resumed after kill -9 at random instants, proposes exactly the params of an uninterrupted run, in the same order', async () => {
    const dir = tempDir();
    const { whole, cut } = await killedAndResumed(twoObjectivesConfig(dir), 'two', 20);
    const fronts = await Promise.all(
      [whole, cut].map(async (root) => JSON.parse((await runCli(['batch', 'best', 'two', '--json', '--batches-data-dir', root])).stdout)),
    );
    expect(fronts[1]).toEqual(fronts[0]);
  });
});

describe('hyperctl run on a search', () => {
  it('runs the search example: TPE over a mixed space, trials ranked by compare and best', async ({ skip }) => {
    if (noPython) skip(noPython);
    const root = tempDir();
    const dir = exampleCopy('search');
    const { code, stdout, stderr } = await runCli(['run', join(dir, 'search.yml'), '--batches-data-dir', root, '--port', '0']);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('batch search-example: 32 jobs, 0 already succeeded, 32 to run on 2 slots');
    expect(stdout).toMatch(/search \(tpe\): 16 trials; stopped: max_trials reached \(16\)\nbest: trial \d+, loss = [\d.]+ \(min\) · lr=[\d.e-]+ /);
    // The search's metric and goal rank its jobs in every view, unasked.
    const best = JSON.parse((await runCli(['batch', 'best', 'search-example', '--json', '--batches-data-dir', root])).stdout);
    expect(best).toMatchObject({ name: expect.stringMatching(/^trial-\d{4},seed=1$/), metric: 'loss', goal: 'min', goalFrom: 'search' });
    const all = JSON.parse((await runCli(['job', 'list', '-b', 'search-example', '--json', '--batches-data-dir', root])).stdout) as {
      metrics: { loss: number };
    }[];
    expect(best.value).toBe(Math.min(...all.map((j) => j.metrics.loss)));
    const compared = (await runCli(['batch', 'compare', 'search-example', '--top', '1', '--batches-data-dir', root])).stdout;
    expect(compared).toContain('ranked by loss, best first (min, as its search says)');
    expect(compared).toContain(best.name);
    const contrary = await runCli(['batch', 'best', 'search-example', '--max', '--batches-data-dir', root]);
    expect([contrary.code, contrary.stderr]).toEqual([2, 'hyperctl: the batch ranks loss by min, as its search says, not by max\n']);
    // Each trial's jobs share its sampled params and differ in the grid axis.
    const jobs = JSON.parse((await runCli(['job', 'list', '-b', 'search-example', '--json', '--batches-data-dir', root])).stdout) as {
      name: string;
      params: Record<string, unknown>;
    }[];
    const [one, two] = [jobs.find((j) => j.name === 'trial-0001,seed=1')!, jobs.find((j) => j.name === 'trial-0001,seed=2')!];
    expect({ ...one.params, seed: 2 }).toEqual(two.params);
  });

  it('resumed after kill -9 at random instants, proposes exactly the params of an uninterrupted run, in the same order', async () => {
    const dir = tempDir();
    const config = searchConfig(dir, {});
    const { cut } = await killedAndResumed(config, 'branin', 24);
    // Run again, it has nothing left to do.
    const again = await runCli(['run', ...quickRun, config, '--batches-data-dir', cut]);
    expect(again.stdout).toContain('batch branin: 24 jobs, 24 already succeeded, 0 to run');
  });

  it('refuses to resume a search whose settings changed, unless asked to continue', async () => {
    const dir = tempDir();
    const root = tempDir();
    expect((await runCli(['run', ...quickRun, searchConfig(dir, { max_trials: 3 }), '--batches-data-dir', root])).code).toBe(0);
    const changed = searchConfig(dir, { max_trials: 5, seed: 4, goal: 'max' });
    const refused = await runCli(['run', ...quickRun, changed, '--batches-data-dir', root]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      'hyperctl: search "branin" was started with other settings: search.seed (3 → 4), search.goal (min → max) changed; its trials so far would mislead it. Give it another name to start afresh, or continue anyway (hyperctl run --continue-search, or continueSearch: true)\n',
    );
    const continued = await runCli(['run', ...quickRun, changed, '--continue-search', '--batches-data-dir', root]);
    expect(continued.code, continued.stderr).toBe(0);
    expect(trials(root).map((t) => t.n)).toEqual([1, 2, 3, 4, 5]);
    // A larger budget on the same search simply goes on.
    const more = await runCli(['run', ...quickRun, searchConfig(dir, { max_trials: 7, seed: 4, goal: 'max' }), '--batches-data-dir', root]);
    expect(more.stdout).toContain('5 already succeeded, 2 to run');
  });

  it('stops at its target and says so; failed trials are bad observations; --json has the search', async () => {
    const dir = tempDir();
    const root = tempDir();
    const config = searchConfig(dir, { algorithm: 'random', max_trials: 200, target: 30, seed: 1 });
    const { code, stdout } = await runCli(['run', ...quickRun, '--json', config, '--batches-data-dir', root]);
    expect(code).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary.search).toMatchObject({
      algorithm: 'random',
      goal: 'min',
      metric: 'loss',
      stoppedBecause: expect.stringMatching(/^target 30 reached by trial \d+ \(loss = /),
    });
    expect(summary.search.best.value).toBeLessThanOrEqual(30);
    expect(summary.search.trials).toBeLessThan(200);

    const failing = join(dir, 'failing.json');
    writeFileSync(
      failing,
      JSON.stringify({
        name: 'half-fail',
        params: { x: { int: [0, 9] } },
        execution: { command: 'if [ $(({x} % 2)) -eq 1 ]; then exit 1; fi; echo "hyperctl:metrics {\\"loss\\": {x}}"' },
        search: { algorithm: 'tpe', metric: 'loss', max_trials: 10, startup_trials: 3, seed: 5 },
      }),
    );
    const result = JSON.parse((await runCli(['run', ...quickRun, '--json', failing, '--batches-data-dir', root])).stdout);
    // Every point of the finite space, each once; the best is the lowest even x.
    expect(result.counts).toMatchObject({ total: 10, succeed: 5, failed: 5 });
    expect(result.search).toMatchObject({ trials: 10, best: { value: 0, params: { x: 0 } } });
  });

  it('says at once that a trial did not report the metric, and stops proposing once the first three all lacked it', async () => {
    const dir = tempDir();
    const root = tempDir();
    const config = join(dir, 'blind.json');
    writeFileSync(
      config,
      JSON.stringify({
        name: 'blind',
        params: { x: { uniform: [0, 1] } },
        execution: { command: `echo 'hyperctl:metrics {"val_loss": 0.5, "val_acc": 0.8}'` },
        search: { algorithm: 'tpe', metric: 'accuracy', goal: 'max', max_trials: 40, seed: 1 },
      }),
    );
    const { code, stdout, stderr } = await runCli(['run', ...quickRun, '-p', '1', config, '--batches-data-dir', root]);
    // Nothing to learn from: the search did not do its work.
    expect(code).toBe(1);
    expect(stderr).toContain('warning: trial 1 ended without reporting search.metric "accuracy"; the metrics it reported are val_loss, val_acc');
    expect(stdout).toContain(
      'search (tpe): 3 trials; stopped: the first 3 trials ended without reporting search.metric "accuracy" (they reported val_acc, val_loss): check search.metric',
    );
    expect(trials(root, 'blind')).toHaveLength(3);
  });

  it("says a job that did not report early stopping's metric, and stops the batch once the first three all lacked it", async () => {
    const dir = tempDir();
    const root = tempDir();
    const config = join(dir, 'unjudged.json');
    writeFileSync(
      config,
      JSON.stringify({
        name: 'unjudged',
        params: { n: [1, 2, 3, 4, 5, 6, 7, 8] },
        execution: { command: `echo 'hyperctl:metrics {"val_loss": {n}}'` },
        early_stopping: { rule: 'median', metric: 'loss' },
      }),
    );
    const { code, stdout, stderr } = await runCli(['run', ...quickRun, '-p', '1', config, '--batches-data-dir', root]);
    expect(code).toBe(1);
    expect(stderr).toContain('warning: job n=1 ended without reporting early_stopping.metric "loss"; the metrics it reported are val_loss');
    expect(stderr).toContain(
      'stopping: the first 3 jobs ended without reporting early_stopping.metric "loss" (they reported val_loss): check early_stopping.metric',
    );
    expect(stdout).toMatch(/batch unjudged failed: 3 succeed .*5 not started/);
  });

  it("takes an NNI search-space file unchanged, beside the config's own params", async () => {
    const dir = tempDir();
    const root = tempDir();
    writeFileSync(
      join(dir, 'search_space.json'),
      JSON.stringify({
        lr: { _type: 'loguniform', _value: [1e-4, 0.1] },
        layers: { _type: 'randint', _value: [1, 3] },
        model: { _type: 'choice', _value: [{ _name: 'linear' }, { _name: 'mlp', hidden: { _type: 'randint', _value: [8, 64] } }] },
      }),
    );
    const config = join(dir, 'nni.yml');
    writeFileSync(
      config,
      'params:\n  seed: [1]\nexecution:\n  command: echo {args}\nsearch:\n  space_file: search_space.json\n  algorithm: random\n  max_trials: 6\n  seed: 1\n',
    );
    const { code, stdout, stderr } = await runCli(['run', ...quickRun, '--json', config, '--batches-data-dir', root]);
    expect(code, stderr).toBe(0);
    const { jobs } = JSON.parse(stdout);
    expect(jobs).toHaveLength(6);
    for (const job of jobs as { params: { lr: number; layers: number; model: { _name: string; hidden?: number }; seed: number } }[]) {
      expect(job.params.layers === 1 || job.params.layers === 2).toBe(true);
      expect(job.params.lr).toBeGreaterThanOrEqual(1e-4);
      expect(['linear', 'mlp']).toContain(job.params.model._name);
      if (job.params.model._name === 'mlp') expect(job.params.model.hidden).toBeLessThan(64);
      expect(Object.keys(job.params)).toEqual(['lr', 'layers', 'model', 'seed']);
    }
    writeFileSync(join(dir, 'search_space.json'), '{"lr": {"_type": "gamma", "_value": [1]}}');
    const bad = await runCli(['run', ...quickRun, config, '--batches-data-dir', root]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('search.space_file search_space.json: lr._type: "gamma" is not one of NNI\'s');
  });

  it('reads a space file as NNI does — JSON, else YAML — with no params of its own, and says a bad range in its own words', async () => {
    const dir = tempDir();
    const root = tempDir();
    // NNI's own test asset has trailing commas: its reader falls back to YAML.
    writeFileSync(join(dir, 'ss_comma.json'), '{\n  "lr": {"_type": "choice", "_value": [0.1, 0.01],},\n  "n": {"_type": "randint", "_value": [1, 4]},\n}\n');
    const config = join(dir, 'nni-only.yml');
    writeFileSync(config, 'execution:\n  command: echo {lr} {n}\nsearch:\n  space_file: ss_comma.json\n  algorithm: random\n  max_trials: 4\n  seed: 2\n');
    const { code, stdout, stderr } = await runCli(['run', ...quickRun, '--json', config, '--batches-data-dir', root]);
    expect(code, stderr).toBe(0);
    const { jobs } = JSON.parse(stdout) as { jobs: { params: { lr: number; n: number } }[] };
    expect(jobs).toHaveLength(4);
    for (const { params } of jobs) {
      expect([0.1, 0.01]).toContain(params.lr);
      expect([1, 2, 3]).toContain(params.n);
    }
    writeFileSync(join(dir, 'ss_comma.json'), '{"x": {"_type": "randint", "_value": [0, 0]}}');
    const empty = await runCli(['run', ...quickRun, config, '--batches-data-dir', root]);
    expect([empty.code, empty.stderr]).toEqual([
      2,
      expect.stringContaining('search.space_file ss_comma.json: x: randint [0, 0] has no values (NNI excludes the upper bound)'),
    ]);
    expect(empty.stderr).not.toContain('params.x.int');
    writeFileSync(join(dir, 'ss_comma.json'), '{"lr": {"_type": "loguniform", "_value": [0, 0.1]}}');
    const zero = await runCli(['run', ...quickRun, config, '--batches-data-dir', root]);
    expect([zero.code, zero.stderr]).toEqual([
      2,
      `hyperctl: ${config}: search.space_file ss_comma.json: lr: bounds must be > 0 on a log scale, got [0, 0.1]\n`,
    ]);
  });

  it('stops proposing once max_duration has passed', async () => {
    const dir = tempDir();
    const root = tempDir();
    const config = join(dir, 'timed.json');
    writeFileSync(
      config,
      JSON.stringify({
        name: 'timed',
        params: { x: { uniform: [0, 1] } },
        execution: { command: 'sleep 0.3; echo "hyperctl:metrics {\\"loss\\": {x}}"' },
        search: { algorithm: 'random', metric: 'loss', max_trials: 1000, max_duration: 1, seed: 1 },
      }),
    );
    const { code, stdout } = await runCli(['run', ...quickRun, '--json', config, '--batches-data-dir', root]);
    expect(code).toBe(0);
    const { search } = JSON.parse(stdout);
    expect(search.stoppedBecause).toBe('max_duration reached (1 s)');
    expect(search.trials).toBeGreaterThan(0);
    expect(search.trials).toBeLessThan(1000);
  });

  it('halts on failures as any batch does, and says so', async () => {
    const dir = tempDir();
    const root = tempDir();
    const config = join(dir, 'halting.json');
    writeFileSync(
      config,
      JSON.stringify({
        name: 'halting',
        params: { x: { uniform: [0, 1] } },
        execution: { command: 'exit 1' },
        search: { algorithm: 'random', max_trials: 50, seed: 1 },
        halt: { fail: 2 },
      }),
    );
    const { code, stdout } = await runCli(['run', ...quickRun, '--json', config, '--batches-data-dir', root]);
    expect(code).toBe(1);
    expect(JSON.parse(stdout).search).toMatchObject({ trials: 2, stoppedBecause: '2 job(s) failed (halt.fail reached)' });
  });

  it('runs a template without a search as the grid of its lists', async () => {
    const dir = tempDir();
    const root = tempDir();
    const template = join(dir, 'grid.yml');
    writeFileSync(template, 'params:\n  a: [1, 2]\n  b: [x, y]\nexecution:\n  command: echo {a}{b}\n');
    const { code, stdout } = await runCli(['run', ...quickRun, template, '--batches-data-dir', root]);
    expect(code).toBe(0);
    expect(stdout).toContain('4 jobs, 0 already succeeded, 4 to run');
    expect(readFileSync(join(root, readdirName(stdout), 'a=2,b=y', 'stdout'), 'utf8')).toBe('2y\n');
  });

  it('names each wrong field of a search with exit 2, and writes nothing', async () => {
    const dir = tempDir();
    const root = tempDir();
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        params: { lr: { loguniform: [0, 0.1] }, n: { int: [1, 3] } },
        execution: { command: 'echo {lr} {zz}' },
        search: { algorithm: 'tpe', max_trials: 0, goal: 'down' },
      }),
    );
    const { code, stderr } = await runCli(['run', ...quickRun, bad, '--batches-data-dir', root]);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `hyperctl: ${bad}: invalid batch config:\n  search.goal: expected min or max, got "down"\n  search.max_trials: expected a whole number ≥ 1, got 0 (number)\n`,
    );
    writeFileSync(bad, JSON.stringify({ params: { lr: { loguniform: [0, 0.1] } }, execution: { command: 'echo {lr} {zz}' }, search: { algorithm: 'tpe' } }));
    const second = await runCli(['run', ...quickRun, bad, '--batches-data-dir', root]);
    expect(second.stderr).toBe(
      `hyperctl: ${bad}: invalid batch config:\n  params.lr.loguniform: bounds must be > 0 on a log scale, got [0, 0.1]\n  search.metric: required by tpe: the metric it learns from (or search.metrics, several)\n  search.max_trials: required: the space is infinite (or give max_duration or target)\n`,
    );
    writeFileSync(
      bad,
      JSON.stringify({ params: { lr: { loguniform: [0.1, 1] } }, execution: { command: 'echo {lr} {zz}' }, search: { algorithm: 'random', max_trials: 2 } }),
    );
    const third = await runCli(['run', ...quickRun, bad, '--batches-data-dir', root]);
    expect(third.stderr).toContain('execution.command: unknown placeholder {zz} (a trial has {lr}, {args}');
    // A mistyped distribution is no constant object handed to every trial.
    writeFileSync(
      bad,
      JSON.stringify({
        params: {
          lr: { loguniform: [0.1, 1] },
          opt: { choise: ['a', 'b'] },
          act: { Choice: ['relu', 'tanh'] },
          net: { init: 'xavier', w: { unifrom: [0, 1] } },
        },
        execution: { command: 'echo {lr}' },
        search: { algorithm: 'random', max_trials: 2 },
      }),
    );
    const fourth = await runCli(['run', ...quickRun, bad, '--batches-data-dir', root]);
    expect([fourth.code, fourth.stderr]).toEqual([
      2,
      `hyperctl: ${bad}: invalid batch config:\n  params.opt: unknown distribution "choise" (did you mean choice?)\n  params.act: unknown distribution "Choice" (did you mean choice?)\n  params.net.w: unknown distribution "unifrom" (did you mean uniform?)\n`,
    ]);
    expect(await runCli(['batch', 'list', '--batches-data-dir', root])).toMatchObject({ stdout: `no batches in ${root}\n` });
  });
});

/** The batch name in a run's first line. */
function readdirName(stdout: string): string {
  return /^batch (\S+):/.exec(stdout)![1]!;
}

describe('a search driven by a sampler command', () => {
  /** A sampler in sh: answers each ask with x = the trial's number, or as `behaviour` says. */
  function sampler(dir: string, behaviour: string): string {
    const path = join(dir, 'sampler.sh');
    writeFileSync(
      path,
      `#!/bin/sh\nn=0\nwhile IFS= read -r line; do\n  case "$line" in\n    '{"ask"'*) n=$((n + 1)); ${behaviour} ;;\n    *) echo "told: $line" >&2 ;;\n  esac\ndone\n`,
    );
    return path;
  }

  function config(dir: string, extra: Record<string, unknown> = {}): string {
    const path = join(dir, 'search.json');
    writeFileSync(
      path,
      JSON.stringify({
        name: 'driven',
        params: { x: { int: [0, 100] }, seed: [1] },
        execution: { command: 'echo "hyperctl:metrics {\\"loss\\": {x}}"' },
        search: { algorithm: 'command', command: 'sh sampler.sh', metric: 'loss', max_trials: 3, seed: 1, ...extra },
      }),
    );
    return path;
  }

  it('asks it for each trial with the history, tells it each outcome, and stops when it says so', async () => {
    const dir = tempDir();
    const root = tempDir();
    sampler(dir, `if [ $n -le 2 ]; then echo "{\\"params\\": {\\"x\\": $((n * 10))}}"; else echo '{"stop": "enough"}'; fi; echo "asked: $line" >&2`);
    const { code, stdout, stderr } = await runCli(['run', ...quickRun, '--json', config(dir, { max_trials: 10 }), '--batches-data-dir', root]);
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.search).toMatchObject({ algorithm: 'command', trials: 2, stoppedBecause: 'the sampler stopped: enough', best: { trial: 1, value: 10 } });
    const log = readFileSync(join(root, 'driven', 'sampler.log'), 'utf8').split('\n');
    const asks = log.filter((l) => l.startsWith('asked: ')).map((l) => JSON.parse(l.slice(7)).ask);
    expect(asks[0]).toMatchObject({ trial: 1, metric: 'loss', goal: 'min', seed: 1, history: [], space: { x: { int: [0, 100] }, seed: [1] } });
    expect(asks[2].history).toEqual([
      { trial: 1, params: { x: 10 }, value: 10, status: 'succeed' },
      { trial: 2, params: { x: 20 }, value: 20, status: 'succeed' },
    ]);
    expect(log.filter((l) => l.startsWith('told: ')).map((l) => JSON.parse(l.slice(6)).tell.trial)).toEqual([1, 2]);
  });

  it('a sampler that fails ends the proposing with a message, and the run exits 1', async () => {
    for (const [behaviour, message] of [
      ['exit 3', /failed: it closed its output \(it exited with code 3\)/],
      ['echo "not json"', /failed: its answer is not JSON: "not json"/],
      ['echo \'{"params": {"y": 1}}\'', /gave trial 1 the params y; expected x \(missing x\) \(not in the space: y\)/],
      ['sleep 5', /failed: no answer within 0.5 s/],
    ] as const) {
      const dir = tempDir();
      const root = tempDir();
      sampler(dir, behaviour);
      const { code, stdout } = await runCli(['run', ...quickRun, '--json', config(dir, { ask_timeout: 0.5 }), '--batches-data-dir', root]);
      expect(code, behaviour).toBe(1);
      expect(JSON.parse(stdout).search.stoppedBecause).toMatch(message);
      // For people, the run says it as it happens, and in its summary.
      const plain = await runCli(['run', ...quickRun, config(dir, { ask_timeout: 0.5 }), '--batches-data-dir', tempDir()]);
      expect(plain.stderr).toMatch(message);
      expect(plain.stdout).toMatch(/search \(command\): 0 trials; stopped: the search's sampler/);
      expect(plain.stdout).toMatch(message);
    }
  });

  it('runs the Optuna example: Optuna proposes, hyperctl runs and journals', async () => {
    const root = tempDir();
    const dir = exampleCopy('optuna-sampler');
    // Debian's Python has Debian's Optuna, whatever other python3 comes first on the PATH.
    const env = { PATH: `/usr/bin:${process.env.PATH}` };
    const { code, stdout, stderr } = await runCli(['run', join(dir, 'search.yml'), '--batches-data-dir', root, '--port', '0'], { env });
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/search \(command\): 20 trials; stopped: max_trials reached \(20\)\nbest: trial \d+, loss = [\d.]+ \(min\)/);
    expect(trials(root, 'optuna-sampler-example')).toHaveLength(20);
  });
});
