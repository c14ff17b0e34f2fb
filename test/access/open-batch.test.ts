import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type BatchEvent, bestAcrossBatches, compareBatches, isHyperctlError, listBatches, openBatch, runBatch } from '../../src/index.js';
import { waitFor } from '../helpers/processes.js';
import { tempDir } from '../helpers/tmp.js';

const metricJob = (name: string, lr: number, accuracy: number) => ({
  name,
  params: { lr },
  execution: { command: `echo "training ${name}"; echo 'hyperctl:metrics {"accuracy": ${accuracy}}'` },
});

describe('openBatch', () => {
  it('reads a running batch live through its daemon, and the same batch from disk once it ended', async () => {
    const root = tempDir();
    const gate = join(root, 'gate');
    const controller = new AbortController();
    let serving = false;
    const run = runBatch(
      {
        name: 'read',
        jobs: [
          metricJob('a', 0.1, 0.7),
          metricJob('b', 0.2, 0.9),
          { name: 'slow', params: { lr: 0.3 }, execution: { command: `echo waiting; while [ ! -e '${gate}' ]; do sleep 0.02; done` } },
        ],
      },
      {
        batchesDataDir: root,
        parallelism: 3,
        daemon: true,
        port: 0,
        signal: controller.signal,
        onEvent: (e: BatchEvent) => {
          if (e.type === 'daemon:serving') serving = true;
        },
      },
    );
    await waitFor(() => existsSync(join(root, 'read', 'spec.json')), 'the batch to be written');
    const batch = openBatch('read', { batchesDataDir: root });
    await waitFor(() => batch.dashboard() !== null, 'the daemon');
    await expect.poll(async () => (await batch.job('slow')).status, { timeout: 10_000 }).toBe('running');
    const live = await batch.info();
    expect(live).toMatchObject({ source: 'daemon', status: 'running', counts: { total: 3 } });
    expect(live.portal).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await batch.job('slow')).command).toContain('while');
    // Running is not yet printed: the log is read until the job's first line is there.
    await expect.poll(async () => Buffer.concat(await collect(batch.readLogs('slow'))).toString(), { timeout: 10_000 }).toBe('waiting\n');
    const followed = collect(batch.readLogs('slow', { follow: true }));
    writeFileSync(gate, '');
    expect(Buffer.concat(await followed).toString()).toBe('waiting\n');
    await waitFor(() => serving, 'the batch to end');
    const fromDaemon = await batch.jobs();
    controller.abort();
    await run.catch(() => undefined);

    const after = await batch.info();
    expect(after).toMatchObject({ source: 'disk', portal: null, status: 'finished', counts: { succeed: 3 } });
    expect((await batch.jobs()).jobs.map((j) => [j.name, j.status, j.metrics])).toEqual(fromDaemon.jobs.map((j) => [j.name, j.status, j.metrics]));
    expect((await batch.jobs({ status: 'succeed', offset: 1, limit: 1 })).jobs.map((j) => j.name)).toEqual(['b']);
    expect((await batch.metrics('b')).last).toEqual({ accuracy: 0.9 });
    expect((await batch.logs('a')).data.toString()).toMatch(/^training a\nhyperctl:metrics /);
    expect(await batch.best('accuracy')).toMatchObject({ name: 'b', value: 0.9, params: { lr: 0.2 }, among: 3 });
    expect(await batch.best('accuracy', 'min')).toMatchObject({ name: 'a', value: 0.7 });
    const comparison = await batch.compare({ sort: 'accuracy', desc: true, top: 1 });
    expect(comparison.rows).toHaveLength(1);
    expect(comparison.columns).toContain('accuracy');
    expect((await listBatches({ batchesDataDir: root })).map((b) => [b.name, b.status])).toEqual([['read', 'finished']]);
    const refused = await batch.kill('a').catch((e: unknown) => e);
    expect(isHyperctlError(refused) && refused.code).toBe('E_NOT_RUNNING');
  });

  it('serves a finished batch from disk until stopped, and refuses names it does not have', async () => {
    const root = tempDir();
    await runBatch({ name: 'done', jobs: [metricJob('a', 0.1, 0.5)] }, { batchesDataDir: root });
    const batch = openBatch('done', { batchesDataDir: root });
    const controller = new AbortController();
    let url = '';
    const serving = batch.serve({ port: 0, signal: controller.signal, onServing: (u) => (url = u) });
    await waitFor(() => url !== '', 'the dashboard');
    expect((await fetch(`${url}api/v1/batch`)).status).toBe(200);
    controller.abort();
    await serving;
    const missingJob = await batch.job('nope').catch((e: unknown) => e);
    expect(isHyperctlError(missingJob) && missingJob.code).toBe('E_JOB_NOT_FOUND');
    const missingBatch = (() => {
      try {
        return openBatch('nope', { batchesDataDir: root });
      } catch (error) {
        return error;
      }
    })();
    expect(isHyperctlError(missingBatch) && missingBatch.code).toBe('E_BATCH_NOT_FOUND');
  });
});

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const all: Buffer[] = [];
  for await (const chunk of chunks) all.push(chunk);
  return all;
}

describe('several batches at once', () => {
  /** A one-trial search of x that reports it as `score`, ranked by `goal`. */
  const search = (name: string, x: number, goal: 'min' | 'max') => ({
    name,
    params: { x: { choice: [x] } },
    execution: { command: `echo 'hyperctl:metrics {{"score": {x}}}'` },
    search: { algorithm: 'random' as const, metric: 'score', goal, max_trials: 1 },
  });

  it('refuses to rank batches that decide a metric’s goal differently, rather than pick a winner by one of them', async () => {
    const root = tempDir();
    await runBatch(search('low', 1, 'min'), { batchesDataDir: root });
    await runBatch(search('high', 2, 'max'), { batchesDataDir: root });
    await runBatch(search('low2', 3, 'min'), { batchesDataDir: root });
    const error = await bestAcrossBatches(['low', 'high'], { batchesDataDir: root }).catch((e: unknown) => e);
    expect(isHyperctlError(error) && error.code).toBe('E_USAGE');
    expect((error as Error).message).toBe(
      'batches low and high rank differently: low ranks score by min (its search), high ranks score by max (its search); name the metric (and its goal) to rank by',
    );
    expect(await bestAcrossBatches(['low', 'low2'], { batchesDataDir: root })).toMatchObject({ batch: 'low', value: 1, goal: 'min', among: 2 });
    // Ranked by the objective they share; listed batch by batch when they do not share one.
    const shared = await compareBatches(['low2', 'low'], { batchesDataDir: root });
    expect(shared.ranking).toMatchObject({ metric: 'score', goal: 'min' });
    expect(shared.rows.map((row) => row[0])).toEqual(['low', 'low2']);
    const mixed = await compareBatches(['high', 'low'], { batchesDataDir: root });
    expect(mixed.ranking).toBeUndefined();
    expect(mixed.rows.map((row) => row[0])).toEqual(['high', 'low']);
  });
});
