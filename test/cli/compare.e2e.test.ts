import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stripVTControlCharacters } from 'node:util';
import { runCli, quickRun } from '../helpers/cli.js';
import { onTerminal } from '../helpers/terminal.js';
import { tempDir } from '../helpers/tmp.js';

let root: string;

/** A sweep of lr × depth where accuracy peaks at lr=0.1, depth=5; one job fails, one reports nothing. */
beforeAll(async () => {
  // Shared by every test of this file, so not a per-test temporary folder.
  root = mkdtempSync(join(tmpdir(), 'hyperctl-compare-'));
  const jobs = [
    { name: 'a', params: { lr: 0.1, depth: 3, model: 'tree' }, metric: { accuracy: 0.81, loss: 0.1 + 0.4000000000000001 } },
    { name: 'b', params: { lr: 0.1, depth: 5, model: 'tree' }, metric: { accuracy: 0.93, loss: 0.2 } },
    { name: 'c', params: { lr: 0.2, depth: 3, model: 'tree' }, metric: { accuracy: 0.77, loss: 0.6 } },
    { name: 'd', params: { lr: 0.2, depth: 5, model: 'tree' }, metric: undefined },
    { name: 'e', params: { lr: 0.3, depth: 5, model: 'tree' }, metric: { accuracy: 0.99, note: 'diverged, "oops"' }, fail: true },
  ].map(({ name, params, metric, fail }) => ({
    name,
    params,
    execution: { command: `${metric ? `echo 'hyperctl:metrics ${JSON.stringify(metric)}'` : 'true'}${fail ? '; exit 1' : ''}` },
  }));
  writeFileSync(join(root, 'b.json'), JSON.stringify({ name: 'sweep', jobs }));
  await runCli(['run', ...quickRun, '-c', join(root, 'b.json'), '--batches-data-dir', root]);
  // A second sweep: another model, and a job named as one of the first's.
  const later = [
    { name: 'x', params: { lr: 0.05, depth: 7, model: 'forest' }, metric: { accuracy: 0.95, loss: 0.15 } },
    { name: 'a', params: { lr: 0.1, depth: 3, model: 'forest' }, metric: { accuracy: 0.5, loss: 0.9 } },
  ].map(({ name, params, metric }) => ({ name, params, execution: { command: `echo 'hyperctl:metrics ${JSON.stringify(metric)}'` } }));
  writeFileSync(join(root, 'b2.json'), JSON.stringify({ name: 'sweep2', jobs: later }));
  await runCli(['run', ...quickRun, '-c', join(root, 'b2.json'), '--batches-data-dir', root]);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const compare = (...args: string[]) => runCli(['batch', 'compare', 'sweep', '--batches-data-dir', root, ...args]);

describe('hyperctl batch compare', () => {
  it('shows varying params and metrics per job, with the constant params above', async () => {
    const { code, stdout } = await compare();
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe('same for every job: model=tree');
    expect(lines[1]).toMatch(/^NAME +STATUS +LR +DEPTH +ACCURACY +LOSS +NOTE +DURATION$/);
    // Numbers as people read them, durations with units.
    expect(lines[2]).toMatch(/^a +succeed +0\.1 +3 +0\.81 +0\.5 +- +[\d.]+s$/);
    expect(lines[3]).toMatch(/^b +succeed +0\.1 +5 +0\.93 +0\.2 +- +[\d.]+s$/);
    expect(lines[5]).toMatch(/^d +succeed +0\.2 +5 +- +- +- /);
  });

  it('sorts by a metric, jobs without it last, keeps the top N and filters with --where', async () => {
    const sorted = JSON.parse((await compare('--sort', 'accuracy', '--desc', '--json')).stdout) as { name: string }[];
    expect(sorted.map((j) => j.name)).toEqual(['e', 'b', 'a', 'c', 'd']);
    const ascending = JSON.parse((await compare('--sort', 'loss', '--json')).stdout) as { name: string }[];
    expect(ascending.map((j) => j.name)).toEqual(['b', 'a', 'c', 'd', 'e']);
    const top = JSON.parse((await compare('--sort', 'accuracy', '--desc', '--top', '2', '--where', 'status=succeed', '--json')).stdout);
    expect(top).toEqual([
      expect.objectContaining({ name: 'b', status: 'succeed', lr: 0.1, depth: 5, accuracy: 0.93 }),
      expect.objectContaining({ name: 'a', accuracy: 0.81 }),
    ]);
    const filtered = JSON.parse((await compare('--where', 'depth=5,accuracy>=0.9', '--columns', 'name,accuracy', '--json')).stdout);
    expect(filtered).toEqual([
      { name: 'b', accuracy: 0.93 },
      { name: 'e', accuracy: 0.99 },
    ]);
  });

  it('prints CSV and Markdown', async () => {
    const csv = (await compare('--columns', 'name,lr,note', '--csv')).stdout;
    expect(csv).toBe('name,lr,note\r\na,0.1,\r\nb,0.1,\r\nc,0.2,\r\nd,0.2,\r\ne,0.3,"diverged, ""oops"""\r\n');
    // CSV is for machines: every digit stays.
    expect((await compare('--columns', 'name,loss', '--csv', '--top', '1')).stdout).toBe('name,loss\r\na,0.5000000000000001\r\n');
    const markdown = (await compare('--columns', 'name,accuracy', '--sort', 'accuracy', '--top', '1', '--markdown')).stdout;
    expect(markdown).toBe('| name | accuracy |\n| --- | --- |\n| c | 0.77 |\n');
  });

  it.each([
    [['--sort', 'f1'], 'no metric or param "f1" in this batch; its metrics: accuracy, loss, note; its params: lr, depth, model; and name, status, duration'],
    [
      ['--sort', 'acuracy'],
      'no metric or param "acuracy" in this batch; did you mean accuracy?; its metrics: accuracy, loss, note; its params: lr, depth, model; and name, status, duration',
    ],
    [['--where', 'accuracy'], '--where: expected KEY=VALUE, KEY!=VALUE, KEY>N, KEY>=N, KEY<N or KEY<=N, separated by commas, got "accuracy"'],
    [['--where', 'lr>>0.1'], '--where: expected KEY=VALUE, KEY!=VALUE, KEY>N, KEY>=N, KEY<N or KEY<=N, separated by commas, got "lr>>0.1"'],
    [['--where', 'lr<'], '--where: expected KEY=VALUE, KEY!=VALUE, KEY>N, KEY>=N, KEY<N or KEY<=N, separated by commas, got "lr<"'],
    [['--csv', '--json'], 'choose one of --json, --csv and --markdown'],
    [['--top', '0'], '--top: expected a whole number ≥ 1, got "0"'],
  ])('exits 2 on %j', async (args, message) => {
    const { code, stderr } = await compare(...args);
    expect(code).toBe(2);
    expect(stderr).toBe(`hyperctl: ${message}\n`);
  });
});

describe('hyperctl batch compare on an 80-column terminal', () => {
  it('keeps the name and every metric, shortening or leaving out params first, and says which', async () => {
    const wide = tempDir();
    const long = 'a-very-long-model-path/checkpoints/epoch-0042.ckpt';
    const jobs = [1, 2, 3].map((i) => ({
      name: `run-${i}`,
      params: { checkpoint: `${long}-${i}`, optimizer: { kind: 'adamw', betas: [0.9, 0.999], weight_decay: 0.01 * i }, seed: i },
      execution: { command: `echo 'hyperctl:metrics {"val_accuracy": 0.9${i}, "val_loss_smoothed": 0.1${i}, "throughput_per_second": 123${i}}'` },
    }));
    writeFileSync(join(wide, 'b.json'), JSON.stringify({ name: 'wide', jobs }));
    expect((await runCli(['run', ...quickRun, '-c', join(wide, 'b.json'), '--batches-data-dir', wide])).code).toBe(0);
    const terminal = onTerminal(['batch', 'compare', 'wide', '--batches-data-dir', wide], 80);
    expect(await terminal.done).toBe(0);
    const lines = stripVTControlCharacters(terminal.text()).replace(/\r/g, '').split('\n').filter(Boolean);
    for (const line of lines.slice(0, -1)) expect(line.length, line).toBeLessThanOrEqual(80);
    expect(lines[0]).toMatch(/^NAME +.*VAL_ACCURACY +VAL_LOSS_SMOOTHED +THROUGHPUT_PER_SECOND/);
    expect(lines[1]).toMatch(/^run-1 .* 0\.91 +0\.11 +1231/);
    expect(lines.at(-1)).toMatch(
      /^\((shortened: [^;]+; )?left out: [^)]+ to fit 80 columns: --columns name,… picks them, --csv or --json shows every value whole\)$/,
    );
    // --columns keeps the name, whether or not it is asked for.
    const picked = JSON.parse((await runCli(['batch', 'compare', 'wide', '--columns', 'seed,val_accuracy', '--json', '--batches-data-dir', wide])).stdout);
    expect(picked[0]).toEqual({ name: 'run-1', seed: 1, val_accuracy: 0.91 });
  });
});

describe('hyperctl batch best', () => {
  it('prints the best succeeded job by a metric, highest or lowest, for people and scripts', async () => {
    const max = await runCli(['batch', 'best', 'sweep', '--metric', 'accuracy', '--batches-data-dir', root]);
    expect(max.stdout).toBe(
      'b: accuracy = 0.93 (best of 4 succeeded jobs by max, guessed from the name: --min or --max to say)\nparams: {"lr":0.1,"depth":5,"model":"tree"}\n',
    );
    // A loss is lowest-best without being told; told, it says just that.
    const guessed = JSON.parse((await runCli(['batch', 'best', 'sweep', '--metric', 'loss', '--json', '--batches-data-dir', root])).stdout);
    expect(guessed).toMatchObject({ name: 'b', metric: 'loss', value: 0.2, goal: 'min', goalFrom: 'guess', params: { lr: 0.1, depth: 5 } });
    const told = JSON.parse((await runCli(['batch', 'best', 'sweep', '--metric', 'loss', '--max', '--json', '--batches-data-dir', root])).stdout);
    expect(told).toMatchObject({ name: 'c', value: 0.6, goal: 'max', goalFrom: 'asked' });
    // A batch with no search or early stopping names no metric of its own.
    const unnamed = await runCli(['batch', 'best', 'sweep', '--batches-data-dir', root]);
    expect(unnamed.code).toBe(2);
    expect(unnamed.stderr).toBe(
      'hyperctl: batch "sweep" has no search or early_stopping metric to rank by: name one (its jobs reported accuracy, loss, note)\n',
    );
    const none = await runCli(['batch', 'best', 'sweep', '--metric', 'acc', '--batches-data-dir', root]);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe('hyperctl: no job of batch "sweep" reported a metric "acc"; the metrics are accuracy, loss, note\n');
    // Reported, but by no job that succeeded.
    const failedOnly = await runCli(['batch', 'best', 'sweep', '--metric', 'note', '--batches-data-dir', root]);
    expect(failedOnly.stderr).toBe('hyperctl: no job of batch "sweep" succeeded with a numeric metric "note"\n');
  });
});

describe('comparing sweeps', () => {
  const cli = (...args: string[]) => runCli(['batch', ...args, '--batches-data-dir', root]);

  it('lines up the jobs of several batches with a batch column, sorted and filtered together', async () => {
    const rows = JSON.parse((await cli('compare', 'sweep', 'sweep2', '--sort', 'accuracy', '--desc', '--top', '3', '--json')).stdout);
    expect(rows.map((r: { batch: string; name: string }) => `${r.batch}/${r.name}`)).toEqual(['sweep/e', 'sweep2/x', 'sweep/b']);
    expect(rows[1]).toMatchObject({ batch: 'sweep2', name: 'x', status: 'succeed', lr: 0.05, depth: 7, model: 'forest', accuracy: 0.95 });
    const one = JSON.parse((await cli('compare', 'sweep', 'sweep2', '--where', 'batch=sweep2', '--json')).stdout);
    expect(one.map((r: { batch: string; name: string }) => `${r.batch}/${r.name}`)).toEqual(['sweep2/x', 'sweep2/a']);
    const table = (await cli('compare', 'sweep', 'sweep2', '--columns', 'accuracy')).stdout.split('\n');
    expect(table[0]).toMatch(/^BATCH +NAME +ACCURACY$/);
    expect(table.filter((line) => /^sweep2 +a /.test(line))).toHaveLength(1);
  });

  it('names the best job among several batches, and its batch', async () => {
    const best = await cli('best', 'sweep', 'sweep2', '--metric', 'accuracy', '--max');
    expect(best.code, best.stderr).toBe(0);
    expect(best.stdout).toMatch(
      /^sweep2 x: accuracy = 0\.95 \(best of 6 succeeded jobs of 2 batches by .*\)\nparams: \{"lr":0\.05,"depth":7,"model":"forest"\}\n$/,
    );
    expect(JSON.parse((await cli('best', 'sweep', 'sweep2', '--metric', 'loss', '--json')).stdout)).toMatchObject({ batch: 'sweep2', name: 'x', value: 0.15 });
    expect(await cli('compare', 'sweep', 'sweep')).toMatchObject({ code: 2, stderr: 'hyperctl: batch "sweep" is named twice\n' });
  });
});

describe('hyperctl batch importance', () => {
  it("weighs each varying param's share of a metric's variance, for people and scripts, and says when there is too little to weigh", async () => {
    const text = await runCli(['batch', 'importance', 'sweep', '--metric', 'accuracy', '--batches-data-dir', root]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(
      /^accuracy: share of its variance each param explains, over 3 succeeded jobs\nPARAM +SHARE\n(lr|depth) +\d+\.\d%\n(lr|depth) +\d+\.\d%\n$/,
    );
    const json = JSON.parse((await runCli(['batch', 'importance', 'sweep', '--metric', 'accuracy', '--json', '--batches-data-dir', root])).stdout);
    expect(json).toMatchObject({ metric: 'accuracy', among: 3 });
    expect(json.params.map((p: { param: string }) => p.param).sort()).toEqual(['depth', 'lr']);
    expect(json.params.reduce((sum: number, p: { importance: number }) => sum + p.importance, 0)).toBeCloseTo(1, 10);
    const thin = await runCli(['batch', 'importance', 'sweep', '--metric', 'note', '--batches-data-dir', root]);
    expect([thin.code, thin.stderr]).toEqual([2, 'hyperctl: batch "sweep": weighing params needs two succeeded jobs with a numeric note or more; it has 0\n']);
  });
});
