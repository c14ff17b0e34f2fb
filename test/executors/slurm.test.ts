import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBatch, type BatchConfig, type JobConfig } from '../../src/index.js';
import { readJournal } from '../../src/store/journal.js';
import type { StartRecord } from '../../src/state/records.js';
import { runCli, startCli } from '../helpers/cli.js';
import { exampleCopy } from '../helpers/examples.js';
import { waitFor } from '../helpers/processes.js';
import { slurmUnavailable, startSlurm, type TestSlurm } from '../helpers/slurm.js';
import { tempDir } from '../helpers/tmp.js';

let skipReason: string | undefined;
let slurm: TestSlurm | undefined;
let dir: string;

beforeAll(async () => {
  skipReason = slurmUnavailable();
  if (skipReason) return;
  dir = mkdtempSync(join(tmpdir(), 'hyperctl-slurm-'));
  chmodSync(dir, 0o755);
  slurm = await startSlurm(join(dir, 'cluster'));
  // The SDK runs Slurm's commands with this process's environment.
  Object.assign(process.env, slurm.env);
}, 120_000);

afterAll(async () => {
  await slurm?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function slurmBatch(name: string, jobs: JobConfig[], conf: Record<string, unknown> = {}): BatchConfig {
  return { name, jobs, backend: { type: 'slurm', conf: { poll_interval: 0.2, ...conf } } };
}

/** The Slurm id each job was last started under, from the journal. */
function handles(root: string, batch: string): Map<string, string> {
  const starts = readJournal(join(root, batch, 'journal.jsonl')).filter((r): r is StartRecord => r.e === 'start' && r.handle !== undefined);
  return new Map(starts.map((r) => [r.job, r.handle!]));
}

function scontrol(id: string): string {
  return execFileSync('scontrol', ['show', 'job', id], { encoding: 'utf8', env: process.env });
}

describe('the Slurm backend on a real Slurm', () => {
  it('runs a batch: params, logs, metrics and exit codes come back', async ({ skip }) => {
    if (skipReason) return skip(skipReason);
    const root = tempDir();
    const jobs: JobConfig[] = [
      {
        name: 'ok',
        params: { lr: 0.1 },
        execution: { command: 'echo "$HYPERCTL_JOB_PARAMS on $(hostname)"; echo "hyperctl:metrics {\\"acc\\": 0.9}"; echo err >&2' },
      },
      { name: 'bad', params: { lr: 0.2 }, execution: { command: 'exit 3' } },
      // Placeholders filled in and shell-quoted for a job Slurm runs, as everywhere.
      { name: 'placed', params: { lr: 0.3, note: "it's $(id)" }, execution: { command: "printf '%s|' {lr} {note} {job} {batch} {data_dir} {args}" } },
    ];
    const warnings: string[] = [];
    const result = await runBatch(slurmBatch('basic', jobs), { batchesDataDir: root, onEvent: (e) => e.type === 'warning' && warnings.push(e.message) });
    // The test's folder is under /tmp: fine on this one-node cluster, a mistake on a real one.
    expect(warnings).toEqual([expect.stringContaining("is usually local to this machine, but Slurm's compute nodes must reach it")]);
    expect(result.jobs.map((j) => [j.name, j.status, j.exitCode, j.host])).toEqual([
      ['ok', 'succeed', 0, 'slurm'],
      ['bad', 'failed', 3, 'slurm'],
      ['placed', 'succeed', 0, 'slurm'],
    ]);
    expect(readFileSync(join(root, 'basic', 'placed', 'stdout'), 'utf8')).toBe(
      `0.3|it's $(id)|placed|basic|${join(root, 'basic', 'placed')}|--lr=0.3|--note=it's $(id)|`,
    );
    expect(readFileSync(join(root, 'basic', 'ok', 'stdout'), 'utf8')).toMatch(/^\{"lr":0.1\} on hx\d+h0\nhyperctl:metrics/);
    expect(readFileSync(join(root, 'basic', 'ok', 'stderr'), 'utf8')).toBe('err\n');
    expect(result.jobs[0]!.metrics).toEqual({ acc: 0.9 });
  });

  it('runs a search: each trial a Slurm job, proposed once the one before it has a result', async ({ skip }) => {
    if (skipReason) return skip(skipReason);
    const root = tempDir();
    const result = await runBatch(
      {
        name: 'slurm-search',
        params: { x: { uniform: [0, 1], step: 0.1 } },
        execution: { command: `echo "hyperctl:metrics {\\"score\\": {x}}"` },
        search: { algorithm: 'random', metric: 'score', goal: 'max', max_trials: 3, seed: 2 },
        backend: { type: 'slurm', conf: { poll_interval: 0.2, parallelism: 1 } },
      },
      { batchesDataDir: root },
    );
    expect(result.status).toBe('succeed');
    expect(result.jobs.map((j) => [j.name, j.host])).toEqual([1, 2, 3].map((n) => [`trial-000${n}`, 'slurm']));
    expect(result.search).toMatchObject({ trials: 3, goal: 'max', best: { value: Math.max(...result.jobs.map((j) => j.params.x as number)) } });
  });

  it('runs a search of several objectives: its front from the trials Slurm ran', async ({ skip }) => {
    if (skipReason) return skip(skipReason);
    const root = tempDir();
    const result = await runBatch(
      {
        name: 'slurm-pareto',
        params: { x: { uniform: [0, 1], step: 0.1 } },
        execution: { command: `echo "hyperctl:metrics {\\"score\\": {x}, \\"size\\": {x}}"` },
        search: {
          algorithm: 'random',
          metrics: [
            { name: 'score', goal: 'max' },
            { name: 'size', goal: 'min' },
          ],
          max_trials: 3,
          seed: 2,
        },
        backend: { type: 'slurm', conf: { poll_interval: 0.2, parallelism: 1 } },
      },
      { batchesDataDir: root },
    );
    expect(result.status).toBe('succeed');
    expect(result.jobs.every((j) => j.host === 'slurm')).toBe(true);
    // A higher score costs as much more size: every trial is on the front.
    expect(result.search!.front!.map((t) => t.trial)).toEqual([1, 2, 3]);
  });

  it('stops a losing job early by either rule: Slurm cancels it and it is recorded pruned', async ({ skip }) => {
    if (skipReason) return skip(skipReason);
    const root = tempDir();
    const curve = `i=1; while [ $i -le 20 ]; do echo "hyperctl:metrics {\\"loss\\": $(( {floor} + 10 / i ))}"; sleep 0.3; i=$((i + 1)); done`;
    const jobs = [1, 9].map((floor) => ({ name: `floor-${floor}`, params: { floor }, execution: { command: curve } }));
    const result = await runBatch(
      { ...slurmBatch('slurm-pruning', jobs, { parallelism: 1 }), early_stopping: { rule: 'asha', metric: 'loss', min_steps: 2, reduction_factor: 2 } },
      { batchesDataDir: root },
    );
    expect(result.status).toBe('succeed');
    expect(result.jobs.map((j) => [j.name, j.status, j.reason])).toEqual([
      ['floor-1', 'succeed', undefined],
      ['floor-9', 'pruned', 'pruned by asha at step 2: loss 14 > rung cutoff 6 (rung 2: the best 1/2 of the 1 trials that reached it before)'],
    ]);
    // The median rule too: the second job is worse than the first's best at step 2.
    const median = await runBatch(
      { ...slurmBatch('slurm-pruning-median', jobs, { parallelism: 1 }), early_stopping: { rule: 'median', metric: 'loss', min_steps: 2, min_trials: 1 } },
      { batchesDataDir: root },
    );
    expect(median.jobs.map((j) => [j.status, j.reason])).toEqual([
      ['succeed', undefined],
      ['pruned', 'pruned by the median rule at step 2: best loss 14 > median 6 of 1 other trials'],
    ]);
    // Cancelled by Slurm, it did not print its whole curve.
    expect(readFileSync(result.jobs[1]!.stdoutPath, 'utf8').trim().split('\n').length).toBeLessThan(20);
  });

  it('runs the Slurm example as written', async ({ skip }) => {
    if (skipReason) return skip(skipReason);
    const root = tempDir();
    const { code, stderr } = await runCli(['run', '--port', '0', '-c', join(exampleCopy('slurm'), 'batch.yaml'), '--batches-data-dir', root], {
      env: slurm!.env,
    });
    expect(code, stderr).toBe(0);
    expect(readFileSync(join(root, 'slurm-sweep', 'learning_rate=0.2', 'stdout'), 'utf8')).toMatch(/^training with \{"learning_rate":0.2\} on hx\d+h0\n$/);
  });

  it('packs jobs into one array with a throttle, and passes resources and time limits to Slurm', async ({ skip }) => {
    if (skipReason) return skip(skipReason);
    const root = tempDir();
    const jobs = Array.from({ length: 5 }, (_, i) => ({
      name: `t${i}`,
      params: { i },
      resource: { cpu: 1, ram: 150 },
      timeout: 90,
      // Held at a gate until the queue is looked at: what Slurm holds back is then known, whatever the machine's speed.
      execution: { command: `s=$(date +%s%N); while [ ! -e ${join(root, 'go')} ]; do sleep 0.1; done; sleep 1; echo "$s $(date +%s%N)"` },
    }));
    const run = runBatch(slurmBatch('array', jobs, { parallelism: 2 }), { batchesDataDir: root });
    await waitFor(() => handles(root, 'array').size === 5, 'all five submitted', 20_000);
    // Queued is not running: the jobs Slurm holds back show as not started yet.
    const queued = JSON.parse((await runCli(['job', 'list', '-b', 'array', '--status', 'init', '--json', '--batches-data-dir', root])).stdout) as {
      reason: string | null;
    }[];
    expect(queued.length).toBeGreaterThanOrEqual(3);
    expect(queued[0]!.reason).toMatch(/^queued as \d+_\d$/);
    const byJob = handles(root, 'array');
    const arrays = new Set([...byJob.values()].map((h) => h.split('_')[0]));
    expect(arrays.size).toBe(1);
    const shown = scontrol(byJob.get('t0')!);
    expect(shown).toMatch(/ArrayTaskThrottle=2/);
    expect(shown).toMatch(/NumCPUs=1\b/);
    expect(shown).toMatch(/MinMemoryNode=150M/);
    expect(shown).toMatch(/TimeLimit=00:02:00/);
    writeFileSync(join(root, 'go'), '');
    const result = await run;
    expect(result.status).toBe('succeed');
    // What ran at once, from the jobs' own clocks (the runner sees starts and ends only as often as it
    // polls the queue: a start and an end seen in one look may be told in either order).
    const spans = result.jobs.map((j) => readFileSync(j.stdoutPath, 'utf8').trim().split(' ').map(Number) as [number, number]);
    for (const [start] of spans) expect(spans.filter(([s, e]) => s <= start && start < e).length).toBeLessThanOrEqual(2);
  });

  it('job kill cancels the Slurm job; a timeout cancels it and the job fails with reason timeout', async ({ skip }) => {
    if (skipReason) return skip(skipReason);
    const root = tempDir();
    writeFileSync(
      join(root, 'b.json'),
      JSON.stringify({
        ...slurmBatch('cancel', [
          { name: 'long', params: {}, execution: { command: 'sleep 120' } },
          { name: 'late', params: {}, timeout: 2, execution: { command: 'sleep 120' } },
        ]),
        daemon: { port: 0, exit_on_finish: true },
      }),
    );
    const run = startCli(['run', '-c', join(root, 'b.json'), '--batches-data-dir', root], { env: slurm!.env });
    await waitFor(() => handles(root, 'cancel').size === 2, 'both submitted', 20_000);
    await waitFor(() => /JobState=RUNNING/.test(scontrol(handles(root, 'cancel').get('long')!)), 'the job to run', 30_000);
    expect((await runCli(['job', 'kill', '-b', 'cancel', '-j', 'long', '--batches-data-dir', root])).code).toBe(0);
    const { code } = await run.done;
    expect(code).toBe(1);
    const jobs = JSON.parse((await runCli(['job', 'list', '-b', 'cancel', '--json', '--batches-data-dir', root])).stdout) as {
      name: string;
      status: string;
      reason: string | null;
    }[];
    expect(jobs.map((j) => [j.name, j.status])).toEqual([
      ['long', 'killed'],
      ['late', 'failed'],
    ]);
    expect(jobs[1]!.reason).toMatch(/^timeout/);
    for (const handle of handles(root, 'cancel').values()) expect(scontrol(handle)).toMatch(/JobState=CANCELLED/);
  });

  it('with --on-interrupt leave, Ctrl-C leaves the jobs to Slurm and a re-run follows them', async ({ skip }) => {
    if (skipReason) return skip(skipReason);
    const root = tempDir();
    const jobs = Array.from({ length: 2 }, (_, i) => ({ name: `l${i}`, params: { i }, execution: { command: 'sleep 2; echo done' } }));
    writeFileSync(join(root, 'b.json'), JSON.stringify({ ...slurmBatch('leave', jobs), daemon: { port: 0, exit_on_finish: true } }));
    const first = startCli(['run', '-c', join(root, 'b.json'), '--batches-data-dir', root, '--on-interrupt', 'leave'], { env: slurm!.env });
    await waitFor(() => handles(root, 'leave').size === 2, 'both submitted', 20_000);
    first.child.kill('SIGINT');
    expect((await first.done).code).toBe(130);
    for (const handle of handles(root, 'leave').values()) expect(scontrol(handle)).toMatch(/JobState=(PENDING|RUNNING|COMPLETED)/);
    const again = await runCli(['run', '-c', join(root, 'b.json'), '--batches-data-dir', root, '--json'], { env: slurm!.env });
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(join(root, 'leave', 'l0', 'stdout'), 'utf8')).toBe('done\n');
  });

  it('after kill -9 of the runner, a re-run follows the queued and running jobs instead of submitting them again', async ({ skip }) => {
    if (skipReason) return skip(skipReason);
    const root = tempDir();
    const runs = join(tempDir(), 'runs');
    const jobs = Array.from({ length: 4 }, (_, i) => ({
      name: `r${i}`,
      params: { i },
      execution: { command: `echo "$HYPERCTL_JOB_NAME $SLURM_ARRAY_JOB_ID" >> ${runs}; sleep 2` },
    }));
    writeFileSync(join(root, 'b.json'), JSON.stringify({ ...slurmBatch('crash', jobs, { parallelism: 2 }), daemon: { port: 0, exit_on_finish: true } }));
    const first = startCli(['run', '-c', join(root, 'b.json'), '--batches-data-dir', root], { env: slurm!.env });
    await waitFor(() => handles(root, 'crash').size === 4, 'all four submitted', 20_000);
    const before = handles(root, 'crash');
    first.child.kill('SIGKILL');
    await first.done;
    const again = await runCli(['run', '-c', join(root, 'b.json'), '--batches-data-dir', root, '--json'], { env: slurm!.env });
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).counts).toMatchObject({ succeed: 4 });
    // Each job ran once, in the array Slurm was given before the kill (the finished run's journal
    // keeps only each job's exit, so the handles are checked against what the jobs saw).
    const lines = readFileSync(runs, 'utf8').trim().split('\n');
    expect(lines.map((l) => l.split(' ')[0]).sort()).toEqual(['r0', 'r1', 'r2', 'r3']);
    for (const line of lines) {
      const [job, array] = line.split(' ');
      expect(before.get(job!)?.split('_')[0], line).toBe(array);
    }
  });
});
