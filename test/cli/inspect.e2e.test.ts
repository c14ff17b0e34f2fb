import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBatch } from '../../src/index.js';
import { runCli, startCli, quickRun } from '../helpers/cli.js';
import { waitFor } from '../helpers/processes.js';
import { tempDir } from '../helpers/tmp.js';

async function finishedBatch(): Promise<string> {
  const root = tempDir();
  const config = join(root, 'b.json');
  writeFileSync(
    config,
    JSON.stringify({
      name: 'demo',
      jobs: [
        { name: 'ok', params: { lr: 0.1 }, execution: { command: 'echo out; echo err >&2' } },
        { name: 'bad', params: { lr: 0.2 }, execution: { command: 'exit 5' } },
      ],
    }),
  );
  await runCli(['run', ...quickRun, '-c', config, '--batches-data-dir', root]);
  return root;
}

describe('hyperctl batch and job, after a run', () => {
  it('batch list shows each batch with its status and counts', async () => {
    const root = await finishedBatch();
    const { code, stdout } = await runCli(['batch', 'list', '--batches-data-dir', root]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^NAME +STATUS +TOTAL +SUCCEED +FAILED/);
    expect(stdout).toMatch(/\ndemo +finished +2 +1 +1 +0 +0 +0 /);
    const json = JSON.parse((await runCli(['batch', 'list', '--json'], { env: { HYPERCTL_BATCHES_DATA_DIR: root } })).stdout);
    expect(json).toMatchObject([{ name: 'demo', status: 'finished', counts: { total: 2, succeed: 1, failed: 1 } }]);
  });

  it('batch list says when there is no batch', async () => {
    const root = tempDir();
    expect((await runCli(['batch', 'list', '--batches-data-dir', root])).stdout).toBe(`no batches in ${root}\n`);
    expect(JSON.parse((await runCli(['batch', 'list', '--json', '--batches-data-dir', join(root, 'none')])).stdout)).toEqual([]);
  });

  it('batch show prints the summary and the job table', async () => {
    const root = await finishedBatch();
    const { code, stdout } = await runCli(['batch', 'show', 'demo', '--batches-data-dir', root]);
    expect(code).toBe(0);
    expect(stdout).toContain('status:   finished');
    expect(stdout).toMatch(/\nok +succeed +0 +\S+ +local +\{"lr":0.1\}\n/);
    expect(stdout).toMatch(/\nbad +failed +5 +/);
  });

  it('job list filters by status; describe prints one job; logs prints stdout or stderr', async () => {
    const root = await finishedBatch();
    const env = { HYPERCTL_BATCHES_DATA_DIR: root };
    expect(JSON.parse((await runCli(['job', 'list', '-b', 'demo', '--status', 'failed', '--json'], { env })).stdout)).toMatchObject([
      { name: 'bad', status: 'failed', exitCode: 5 },
    ]);
    expect(JSON.parse((await runCli(['job', 'describe', '-b', 'demo', '-j', 'ok'], { env })).stdout)).toMatchObject({
      name: 'ok',
      status: 'succeed',
      params: { lr: 0.1 },
      host: 'local',
    });
    expect((await runCli(['job', 'logs', '-b', 'demo', '-j', 'ok'], { env })).stdout).toBe('out\n');
    expect((await runCli(['job', 'logs', '-b', 'demo', '-j', 'ok', '--stderr'], { env })).stdout).toBe('err\n');
  });

  it.each([
    [['batch', 'show', 'nope'], 'no batch "nope"'],
    [['batch', 'show', 'dmeo'], '; the batches are demo\n'],
    [['job', 'describe', '-b', 'demo', '-j', 'nope'], 'batch "demo" has no job "nope"; the jobs are ok, bad\n'],
    [['job', 'list', '-b', 'demo', '--status', 'done'], '--status: expected one of init, running, succeed, failed, killed, pruned, got "done"'],
    [['job', 'list'], 'Missing required argument: --batch'],
  ])('exits 2 on %j', async (args, message) => {
    const root = await finishedBatch();
    const { code, stderr } = await runCli([...args, '--batches-data-dir', root]);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });
});

describe('hyperctl batch and job, during a run', () => {
  it('see the running job, and logs -f follows its output until it ends', async () => {
    const root = tempDir();
    const config = join(root, 'b.json');
    const gate = join(root, 'gate');
    writeFileSync(
      config,
      JSON.stringify({
        name: 'live',
        jobs: [{ name: 'slow', params: {}, execution: { command: `echo first; while [ ! -e ${gate} ]; do sleep 0.05; done; echo second` } }],
      }),
    );
    const run = startCli(['run', ...quickRun, ...quickRun, '-c', config, '--batches-data-dir', root]);
    const env = { HYPERCTL_BATCHES_DATA_DIR: root };
    let list = '';
    for (let i = 0; i < 100 && !list.includes('"running"'); i++) list = (await runCli(['job', 'list', '-b', 'live', '--json'], { env })).stdout;
    expect(JSON.parse(list)).toMatchObject([{ name: 'slow', status: 'running' }]);
    expect(JSON.parse((await runCli(['batch', 'list', '--json'], { env })).stdout)).toMatchObject([{ name: 'live', status: 'running' }]);

    const follow = startCli(['job', 'logs', '-b', 'live', '-j', 'slow', '-f'], { env });
    let seen = '';
    follow.child.stdout!.on('data', (c: Buffer) => (seen += c));
    await waitFor(() => seen === 'first\n', 'the first line');
    writeFileSync(gate, '');
    expect((await follow.done).stdout).toBe('first\nsecond\n');
    expect((await run.done).code).toBe(0);
    expect(JSON.parse((await runCli(['batch', 'list', '--json'], { env })).stdout)).toMatchObject([{ name: 'live', status: 'finished' }]);
  });
});

describe('listing and reading in the order people expect', () => {
  it('batch list puts the newest batch last, whatever its name; job logs of a job that never started says so', async () => {
    const dir = tempDir();
    for (const name of ['zeta', 'alpha']) {
      const config = join(dir, `${name}.json`);
      const jobs = [
        { name: 'bad', params: {}, execution: { command: 'exit 1' } },
        { name: 'never', params: {}, execution: { command: 'true' } },
      ];
      writeFileSync(config, JSON.stringify({ name, jobs, halt: { fail: 1 } }));
      await runCli(['run', config, '--exit-on-finish', '--port', '0', '--batches-data-dir', dir]);
    }
    const listed = JSON.parse((await runCli(['batch', 'list', '--json', '--batches-data-dir', dir])).stdout) as { name: string }[];
    expect(listed.map((b) => b.name)).toEqual(['zeta', 'alpha']);
    const logs = await runCli(['job', 'logs', '-b', 'alpha', '-j', 'never', '--batches-data-dir', dir]);
    expect(logs).toMatchObject({ code: 0, stdout: '', stderr: 'hyperctl: job never has not started; it has no output yet\n' });
  });
});

describe('names that do not exist', () => {
  it('an unknown job of a big batch names the closest ones, not all of them', async () => {
    const root = tempDir();
    const config = join(root, 'b.json');
    const jobs = Array.from({ length: 40 }, (_, i) => ({ params: { lr: i / 100 }, execution: { command: 'true' } }));
    writeFileSync(config, JSON.stringify({ name: 'big', jobs }));
    await runCli(['run', ...quickRun, '-c', config, '--batches-data-dir', root]);
    const { code, stderr } = await runCli(['job', 'logs', '-b', 'big', '-j', 'lr=0.3O', '--batches-data-dir', root]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^hyperctl: batch "big" has no job "lr=0.3O"; did you mean lr=0\.3, [^?]*\? \(40 jobs in all\)\n$/);
  });
});

describe('metrics of running jobs', () => {
  it('show in job list and batch compare as in job describe, through the daemon and from disk', async () => {
    const root = tempDir();
    const gate = join(root, 'gate');
    const config = join(root, 'b.json');
    const job = (name: string) => ({
      name,
      params: { n: name.length },
      execution: { command: `echo 'hyperctl:metrics {"loss": 0.30000000000000004, "_step": 1}'; while [ ! -e ${gate} ]; do sleep 0.05; done` },
    });
    for (const daemon of [true, false]) {
      const name = daemon ? 'via-daemon' : 'via-disk';
      const batch = { name, jobs: [job('a'), job('bb')] };
      writeFileSync(config, JSON.stringify(batch));
      rmSync(gate, { force: true });
      // A run without a daemon (the SDK's default): the CLI reads what the run writes.
      const run = daemon
        ? startCli(['run', ...quickRun, '-c', config, '-p', '2', '--batches-data-dir', root]).done.then((r) => r.code)
        : runBatch(batch, { batchesDataDir: root, parallelism: 2 }).then((r) => (r.status === 'succeed' ? 0 : 1));
      const args = ['-b', name, '--batches-data-dir', root];
      await waitFor(async () => {
        const jobs = JSON.parse((await runCli(['job', 'list', ...args, '--json'])).stdout || '[]') as { status: string; metrics: unknown }[];
        return jobs.length === 2 && jobs.every((j) => j.status === 'running' && j.metrics !== null);
      }, 'both jobs to run and report');
      const list = JSON.parse((await runCli(['job', 'list', ...args, '--json'])).stdout);
      expect(list.map((j: { metrics: unknown }) => j.metrics)).toEqual([{ loss: 0.30000000000000004 }, { loss: 0.30000000000000004 }]);
      expect((await runCli(['job', 'list', ...args])).stdout).toMatch(/a +running .* loss=0\.3 /);
      const compared = (await runCli(['batch', 'compare', name, '--batches-data-dir', root])).stdout.split('\n');
      expect(compared[0]).toMatch(/^NAME +STATUS +N +LOSS +DURATION$/);
      expect(compared[1]).toMatch(/^a +running +1 +0\.3 +/);
      writeFileSync(gate, '');
      expect(await run).toBe(0);
    }
  });
});
