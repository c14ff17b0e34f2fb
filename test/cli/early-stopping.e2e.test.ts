import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { quickRun, runCli, startCli } from '../helpers/cli.js';
import { exampleCopy } from '../helpers/examples.js';
import { waitFor } from '../helpers/processes.js';
import { ensureCommand } from '../helpers/system.js';
import { tempDir } from '../helpers/tmp.js';

/** A job that prints a learning curve, loss = floor + 1/step for 12 steps, slowly enough to be watched. */
const curve = `i=1; while [ $i -le 12 ]; do awk -v f={floor} -v s=$i 'BEGIN { printf "hyperctl:metrics {\\"loss\\": %.4f, \\"_step\\": %d}\\n", f + 1 / s, s }'; sleep 0.2; i=$((i + 1)); done`;

/** Four curves under ASHA (η 3, rungs at steps 2, 6, …): run one at a time, 0.5 and 0.3 lose at step 2. */
function ashaConfig(dir: string): string {
  const config = join(dir, 'asha.json');
  writeFileSync(
    config,
    JSON.stringify({
      name: 'asha',
      params: { floor: [0.1, 0.5, 0.3, 0.05] },
      execution: { command: curve },
      early_stopping: { rule: 'asha', metric: 'loss', min_steps: 2, reduction_factor: 3 },
    }),
  );
  return config;
}

/** What ASHA makes of ashaConfig's jobs: each job's status and reason. */
const ashaOutcome = [
  ['floor=0.1', 'succeed', null],
  ['floor=0.5', 'pruned', 'pruned by asha at step 2: loss 1 > rung cutoff 0.6 (rung 2: the best 1/3 of the 1 trials that reached it before)'],
  ['floor=0.3', 'pruned', 'pruned by asha at step 2: loss 0.8 > rung cutoff 0.7333 (rung 2: the best 1/3 of the 2 trials that reached it before)'],
  ['floor=0.05', 'succeed', null],
];

describe('early stopping', () => {
  it('ASHA stops the jobs that lose at a rung, records them pruned with the reason, and a re-run leaves them be', async () => {
    const dir = tempDir();
    const root = tempDir();
    const config = ashaConfig(dir);
    // One at a time, so that each job is judged against those before it, whatever the machine's speed.
    const { code, stdout } = await runCli(['run', ...quickRun, '-p', '1', config, '--batches-data-dir', root]);
    expect(code).toBe(0);
    expect(stdout).toContain('batch asha succeeded: 2 succeed (0 skipped), 0 failed, 0 killed, 2 pruned');
    expect(stdout).toMatch(/\npruned 2 jobs early, saving about (?:[\d.]+s|\d+m\d\ds) of job time\n/);
    const jobs = JSON.parse((await runCli(['job', 'list', '-b', 'asha', '--json', '--batches-data-dir', root])).stdout) as {
      name: string;
      status: string;
      reason: string | null;
    }[];
    expect(jobs.map((j) => [j.name, j.status, j.reason])).toEqual(ashaOutcome);
    const again = await runCli(['run', ...quickRun, config, '--batches-data-dir', root]);
    // Pruned jobs are no successes: the re-run says them apart.
    expect(again.stdout).toContain('4 jobs, 2 already succeeded, 2 pruned before, 0 to run');
  });

  it('after kill -9 of the runner, a re-run rebuilds the rungs from the journal and decides as the uninterrupted run did', async () => {
    const dir = tempDir();
    const root = tempDir();
    const config = ashaConfig(dir);
    const statusOf = async () =>
      Object.fromEntries(
        (
          JSON.parse((await runCli(['job', 'list', '-b', 'asha', '--json', '--batches-data-dir', root])).stdout || '[]') as { name: string; status: string }[]
        ).map((j) => [j.name, j.status]),
      );
    // Killed once the first job finished, and again once the second was pruned: each re-run must
    // know the rung values the jobs before it left.
    for (const [job, status] of [
      ['floor=0.1', 'succeed'],
      ['floor=0.5', 'pruned'],
    ] as const) {
      const run = startCli(['run', ...quickRun, '-p', '1', config, '--batches-data-dir', root]);
      await waitFor(async () => (await statusOf())[job] === status, `${job} to be ${status}`, 30_000);
      run.child.kill('SIGKILL');
      await run.done;
    }
    const last = await runCli(['run', ...quickRun, '-p', '1', config, '--batches-data-dir', root]);
    expect(last.code, last.stderr).toBe(0);
    const jobs = JSON.parse((await runCli(['job', 'list', '-b', 'asha', '--json', '--batches-data-dir', root])).stdout) as {
      name: string;
      status: string;
      reason: string | null;
    }[];
    expect(jobs.map((j) => [j.name, j.status, j.reason])).toEqual(ashaOutcome);
  });

  it('the median rule stops a job worse than the median of the others at the same step', async () => {
    const dir = tempDir();
    const root = tempDir();
    const config = join(dir, 'median.json');
    writeFileSync(
      config,
      JSON.stringify({
        name: 'median',
        params: { floor: [0.1, 0.2, 0.9] },
        execution: { command: curve },
        early_stopping: { rule: 'median', metric: 'loss', min_steps: 3, min_trials: 2 },
      }),
    );
    const { code } = await runCli(['run', ...quickRun, '-p', '1', config, '--batches-data-dir', root]);
    expect(code).toBe(0);
    const jobs = JSON.parse((await runCli(['job', 'list', '-b', 'median', '--json', '--batches-data-dir', root])).stdout) as {
      status: string;
      reason: string | null;
    }[];
    expect(jobs.map((j) => j.status)).toEqual(['succeed', 'succeed', 'pruned']);
    expect(jobs[2]!.reason).toBe('pruned by the median rule at step 3: best loss 1.233 > median 0.4833 of 2 other trials');
  });

  it('refuses a malformed early_stopping with exit 2, naming the field', async () => {
    const dir = tempDir();
    const config = join(dir, 'bad.json');
    for (const [early_stopping, message] of [
      [{ rule: 'asha', metric: 'loss', reduction_factor: 1 }, 'early_stopping.reduction_factor: expected a number more than 1'],
      [{ rule: 'asha' }, 'early_stopping.metric: required: the metric jobs are judged on'],
      [{ rule: 'hyperband', metric: 'loss' }, 'early_stopping.rule: expected median or asha, got "hyperband"'],
    ] as const) {
      writeFileSync(config, JSON.stringify({ params: { floor: [1] }, execution: { command: 'true' }, early_stopping }));
      const { code, stderr } = await runCli(['run', ...quickRun, config, '--batches-data-dir', tempDir()]);
      expect(code).toBe(2);
      expect(stderr).toContain(message);
    }
  });
});

describe('the early-stopping example', () => {
  it('prunes the losing learning rates of a grid and keeps the best', async ({ skip }) => {
    const missing = ensureCommand('python3', 'python3');
    if (missing) skip(missing);
    const root = tempDir();
    const dir = exampleCopy('early-stopping');
    const { code, stdout, stderr } = await runCli(['run', join(dir, 'job-template.yml'), '--json', '--batches-data-dir', root, '--port', '0']);
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout) as { counts: { pruned: number }; jobs: { name: string; status: string; reason?: string }[] };
    expect(result.counts.pruned).toBeGreaterThan(0);
    expect(result.jobs.find((j) => j.name === 'lr=0.01')!.status).toBe('succeed');
    for (const job of result.jobs.filter((j) => j.status === 'pruned')) expect(job.reason).toMatch(/^pruned by asha at step \d+: loss /);
  });
});

describe('early stopping with the rest of hyperctl', () => {
  it('judges a search on its metric: a pruned trial counts with its last value; pruned jobs count for no halt, and --force runs them again', async () => {
    const dir = tempDir();
    const root = tempDir();
    const config = join(dir, 'search.json');
    writeFileSync(
      config,
      JSON.stringify({
        name: 'pruned-search',
        params: { floor: { choice: [0.1, 0.5, 0.3, 0.05] } },
        execution: { command: curve },
        search: { algorithm: 'random', metric: 'loss', goal: 'min', seed: 1 },
        early_stopping: { rule: 'asha', min_steps: 2, reduction_factor: 3 },
        halt: { fail: 1 },
      }),
    );
    const { code, stdout } = await runCli(['run', ...quickRun, '-p', '1', '--json', config, '--batches-data-dir', root]);
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as {
      counts: { pruned: number; failed: number };
      search: { trials: number; stoppedBecause: string; best: { params: { floor: number } } };
      jobs: { status: string; params: { floor: number } }[];
    };
    // Every point of the space (its size is the default budget) tried, though some were pruned; halt, at one failure, never fired.
    expect(result.search).toMatchObject({ trials: 4, stoppedBecause: 'max_trials reached (4)', best: { params: { floor: 0.05 } } });
    expect(result.counts.failed).toBe(0);
    expect(result.counts.pruned).toBeGreaterThan(0);
    const forced = JSON.parse((await runCli(['run', ...quickRun, '-p', '1', '--json', '--force', config, '--batches-data-dir', root])).stdout) as {
      jobs: { status: string; skipped: boolean }[];
    };
    expect(forced.jobs.every((j) => !j.skipped)).toBe(true);
    // Without --force the pruned trials stay as they are; with it every job, pruned ones too, ran again.
    const again = await runCli(['run', ...quickRun, '-p', '1', config, '--batches-data-dir', root]);
    expect(again.stdout).toMatch(/4 jobs, (\d) already succeeded, (\d) pruned before, 0 to run/);
    const [, succeeded, pruned] = /4 jobs, (\d) already succeeded, (\d) pruned before/.exec(again.stdout)!;
    expect(Number(succeeded) + Number(pruned)).toBe(4);
    const rerun = await runCli(['run', ...quickRun, '-p', '1', '--force', config, '--batches-data-dir', root]);
    expect(rerun.stdout).toContain('4 jobs, 0 already succeeded, 4 to run');
  });
});
