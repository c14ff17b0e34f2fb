import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type BatchEvent, createDaemonClient, isHyperctlError, reportMetrics, runBatch } from '../../src/index.js';
import { runCli } from '../helpers/cli.js';
import { metricJobs, reportedMetrics } from '../helpers/metric-jobs.js';
import { waitFor } from '../helpers/processes.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * Runs one job named `train` with `command` in a batch served by its daemon; `portal` is the
 * daemon's address once it serves, `events` every event so far.
 */
function runTrain(name: string, command: string) {
  const root = tempDir();
  const state = { portal: '', events: [] as BatchEvent[] };
  const run = runBatch(
    { name, jobs: [{ name: 'train', params: {}, execution: { command } }] },
    {
      batchesDataDir: root,
      daemon: true,
      port: 0,
      exitOnFinish: true,
      onEvent: (e) => {
        state.events.push(e);
        if (e.type === 'batch:start') state.portal = e.portal!;
      },
    },
  );
  return { root, state, run };
}

describe('metrics', () => {
  it("come from the library, stdout lines, metrics.json and the daemon, and are part of the job's state", async () => {
    const root = tempDir();
    const result = await runBatch({ name: 'metrics', jobs: metricJobs() }, { batchesDataDir: root, daemon: true, port: 0, exitOnFinish: true, parallelism: 4 });
    expect(result.status).toBe('succeed');
    expect(Object.fromEntries(result.jobs.map((j) => [j.name, j.metrics]))).toEqual(reportedMetrics);
    // Durable: read back from disk by the CLI.
    const described = JSON.parse((await runCli(['job', 'describe', '-b', 'metrics', '-j', 'library', '--batches-data-dir', root])).stdout);
    expect(described.metrics).toEqual({ loss: 1 / 3, accuracy: 0.5, optimizer: 'sgd' });
    const shown = (await runCli(['batch', 'show', 'metrics', '--batches-data-dir', root])).stdout;
    expect(shown).toMatch(/\nNAME +STATUS +EXIT +DURATION +HOST +METRICS +PARAMS\n/);
    expect(shown).toMatch(/\nfile +succeed +0 +\S+ +local +accuracy=0\.9 epochs=3 +\{"lr":0\.75\}\n/);
    const listed = JSON.parse((await runCli(['job', 'list', '-b', 'metrics', '--json', '--batches-data-dir', root])).stdout);
    expect(listed.find((j: { name: string }) => j.name === 'posted').metrics).toEqual({ f1: 0.75 });
  });

  it('keeps each report as a step of the history, served by the daemon while the job runs', async () => {
    const gate = join(tempDir(), 'gate');
    const { root, state, run } = runTrain(
      'curve',
      `for s in 0 1 2; do echo "hyperctl:metrics {\\"loss\\": $s, \\"_step\\": $((s * 10))}"; done; while [ ! -e ${gate} ]; do sleep 0.02; done`,
    );
    let body: { last: Record<string, number>; history: { step: number }[] } = { last: {}, history: [] };
    for (let i = 0; i < 200 && body.history.length < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      const { portal } = state;
      if (!portal) continue;
      const token = readFileSync(join(root, 'curve', 'token'), 'utf8');
      body = (await (await fetch(`${portal}/api/v1/jobs/train/metrics`, { headers: { authorization: `Bearer ${token}` } })).json()) as typeof body;
      const job = await createDaemonClient({ portal, token }).job('train');
      if (body.history.length === 3) expect(job.metrics).toEqual({ loss: 2 });
    }
    expect(body.history.map((h) => h.step)).toEqual([0, 10, 20]);
    expect(body.last).toEqual({ loss: 2 });
    writeFileSync(gate, '');
    expect((await run).jobs[0]!.metrics).toEqual({ loss: 2 });
  });

  it('reach onEvent and the event stream as job:metrics while the job runs, stdout lines and posted reports alike', async () => {
    const [posting, ending] = [join(tempDir(), 'posting'), join(tempDir(), 'ending')];
    const post = `${process.execPath} -e "fetch(process.env.HYPERCTL_SERVER_PORTAL + '/api/v1/jobs/train/metrics', { method: 'POST', body: JSON.stringify({ f1: 0.5 }) })"`;
    const { root, state, run } = runTrain(
      'stream',
      `echo 'hyperctl:metrics {"loss": 3}'; echo 'hyperctl:metrics {"loss": 2, "_step": 5}'; while [ ! -e ${posting} ]; do sleep 0.02; done; ${post}; while [ ! -e ${ending} ]; do sleep 0.02; done`,
    );
    const seen = () => state.events.flatMap((e) => (e.type === 'job:metrics' ? [{ job: e.job, step: e.step, values: e.values }] : []));
    // Its stdout reports, while it waits to post.
    await waitFor(() => seen().length === 2, 'two reports from stdout');
    // The daemon's event stream carries the same reports to the dashboard.
    const token = readFileSync(join(root, 'stream', 'token'), 'utf8');
    const stream = await fetch(`${state.portal}/api/v1/events`, { headers: { authorization: `Bearer ${token}` } });
    const reader = stream.body!.getReader();
    let said = '';
    const streamed = (async () => {
      while (!said.includes('"f1":0.5')) said += new TextDecoder().decode((await reader.read()).value);
    })();
    writeFileSync(posting, '');
    await waitFor(() => seen().length === 3, 'the posted report');
    // Each before the job ends: it still waits.
    expect(seen()).toEqual([
      { job: 'train', step: 1, values: { loss: 3 } },
      { job: 'train', step: 5, values: { loss: 2 } },
      { job: 'train', step: 1, values: { f1: 0.5 } },
    ]);
    await streamed;
    expect(said).toContain('event: job:metrics\ndata: {"job":"train","step":1,"values":{"f1":0.5}}');
    await reader.cancel();
    writeFileSync(ending, '');
    expect((await run).status).toBe('succeed');
  });

  it('reportMetrics refuses values that are not numbers or strings, and outside a job', () => {
    const env = { HYPERCTL_JOB_NAME: 'x' };
    const error = (() => {
      try {
        reportMetrics({ loss: Number.NaN }, {}, env);
      } catch (e) {
        return e;
      }
    })();
    expect(isHyperctlError(error) && error.code).toBe('E_METRICS_INVALID');
    expect(() => reportMetrics({ loss: 1 }, {}, {})).toThrow(/HYPERCTL_JOB_NAME is not set/);
  });
});
