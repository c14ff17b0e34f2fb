import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBatch, runBatch } from '../../src/index.js';
import { bestJob, compareJobs, comparisonShape } from '../../src/results/compare.js';
import { batchFiles } from '../../src/batch/batch-folder.js';
import { foldBatch, listBatches, readBatch, readBatchColumns, storedOf } from '../../src/store/read-batch.js';
import { quickRun, runCli, startCli } from '../helpers/cli.js';
import { faultTrials, seededRandom } from '../helpers/fault-trials.js';
import { waitFor } from '../helpers/processes.js';
import { tempDir } from '../helpers/tmp.js';

/** What a reader sees (from the index when it answers) beside what a full fold of the journal says, at one instant. */
function expectReadersAgree(dir: string, name: string): void {
  const read = readBatch(dir, name);
  const folded = storedOf(foldBatch(dir, name));
  expect(read).toEqual(folded);
  // What ranking reads of the index: the shape, each status, each numeric metric, each row.
  const columns = readBatchColumns(dir, name);
  if (!columns) return;
  expect(columns.shape).toEqual(comparisonShape(folded.jobs));
  expect(columns.statuses).toEqual(folded.jobs.map((job) => job.status));
  for (const [metric, values] of Object.entries(columns.metrics)) expect(values).toEqual(folded.jobs.map((job) => job.metrics?.[metric] ?? null));
  for (const [place, job] of folded.jobs.entries()) expect(columns.row(place)).toEqual(job);
}

/** Jobs that report a metric, some failing, some retried, ending one after another. */
function mixedJobs(count: number) {
  return Array.from({ length: count }, (_, i) => ({
    name: `j${i}`,
    params: { i },
    retries: i % 4 === 0 ? 1 : 0,
    execution: { command: `echo 'hyperctl:metrics {"score": ${i * 0.5}}'; exit ${i % 3 === 0 ? 1 : 0}` },
  }));
}

describe('the batch index', () => {
  it('is written when a run ends, and answers as a fold of the journal does', async () => {
    const dir = tempDir();
    await runBatch({ name: 'b', jobs: mixedJobs(9) }, { batchesDataDir: dir });
    expect(existsSync(join(dir, 'b', batchFiles.index))).toBe(true);
    expectReadersAgree(dir, 'b');
    expect(readBatch(dir, 'b').counts).toMatchObject({ total: 9, failed: 3, succeed: 6 });
  });

  it('is not trusted once the journal changed after it, and is rebuilt from the journal', async () => {
    const dir = tempDir();
    await runBatch({ name: 'b', jobs: mixedJobs(4) }, { batchesDataDir: dir });
    const journal = join(dir, 'b', batchFiles.journal);
    const index = join(dir, 'b', batchFiles.index);
    const before = readFileSync(index, 'utf8');
    // A record the index did not fold: j1 failed after all.
    appendFileSync(
      journal,
      `${JSON.stringify({ e: 'exit', job: 'j1', hash: foldBatch(dir, 'b').spec.jobs[1]!.hash, status: 'failed', code: 3, signal: null, startedAt: 1, at: 2 })}\n`,
    );
    expect(readBatch(dir, 'b').jobs.find((j) => j.name === 'j1')).toMatchObject({ status: 'failed', exitCode: 3 });
    expectReadersAgree(dir, 'b');
    expect(readFileSync(index, 'utf8')).not.toBe(before);
  });

  it('is folded again when damaged or missing, never half trusted', async () => {
    const dir = tempDir();
    await runBatch({ name: 'b', jobs: mixedJobs(5) }, { batchesDataDir: dir });
    const index = join(dir, 'b', batchFiles.index);
    const whole = readFileSync(index, 'utf8');
    const expected = storedOf(foldBatch(dir, 'b'));
    const damaged = [whole.slice(0, whole.length - 40), whole.replace('"j2","succeed"', '"j2","lost"'), `${whole.split('\n')[0]}\n[]\n`, 'not json', ''];
    for (const text of damaged) {
      writeFileSync(index, text);
      expect(readBatch(dir, 'b'), JSON.stringify(text.slice(0, 60))).toEqual(expected);
    }
    rmSync(index);
    expect(readBatch(dir, 'b')).toEqual(expected);
    expect(readFileSync(index, 'utf8')).toBe(whole);
  });

  it('settles a job a killed runner left running after its start, the same for every reader, after an earlier run ended', async () => {
    const dir = tempDir();
    const config = join(dir, 'b.json');
    writeFileSync(config, JSON.stringify({ name: 'b', jobs: [{ name: 'slow', params: {}, execution: { command: 'sleep 30' } }] }));
    const args = ['run', ...quickRun, '-c', config, '--batches-data-dir', dir];
    const starts = () =>
      existsSync(join(dir, 'b', batchFiles.journal)) ? readFileSync(join(dir, 'b', batchFiles.journal), 'utf8').split('"e":"start"').length - 1 : 0;
    // A first run that ends (its last-run.json then says when), then one killed while the job runs.
    const first = startCli(args);
    await waitFor(() => starts() === 1, 'the first start', 10_000);
    await runCli(['job', 'kill', '-b', 'b', '-j', 'slow', '--batches-data-dir', dir]);
    await first.done;
    const second = startCli([...args, '--force']);
    await waitFor(() => starts() === 1 && readFileSync(join(dir, 'b', batchFiles.journal), 'utf8').includes('"force":true'), 'the second start', 10_000);
    second.child.kill('SIGKILL');
    await second.done;
    const job = readBatch(dir, 'b').jobs[0]!;
    expect(job).toMatchObject({ status: 'failed', reason: 'the runner stopped while the job ran' });
    expect(Date.parse(job.endedAt!)).toBeGreaterThanOrEqual(Date.parse(job.startedAt!));
    expectReadersAgree(dir, 'b');
  });

  it('gives a listing of batches their summaries without reading the rows', async () => {
    const dir = tempDir();
    await runBatch({ name: 'a', jobs: mixedJobs(3) }, { batchesDataDir: dir });
    await runBatch({ name: 'b', jobs: mixedJobs(6) }, { batchesDataDir: dir });
    const listed = listBatches(dir);
    expect(listed.map((b) => [b.name, b.status, b.counts.total, b.counts.failed])).toEqual([
      ['a', 'finished', 3, 1],
      ['b', 'finished', 6, 2],
    ]);
    expect(listed.every((b) => !('jobs' in b))).toBe(true);
  });
});

describe('ranking from the index', () => {
  it('gives what comparing and ranking every job gives, for each kind of sort', async () => {
    const dir = tempDir();
    const jobs = Array.from({ length: 40 }, (_, i) => {
      // Ties, jobs without the score, a metric that is text, failures.
      const report = i % 7 === 3 ? `{"label": "x${i % 4}"}` : `{"score": ${(i * 37) % 11}, "label": "x${i % 4}"}`;
      return { name: `j${i}`, params: { i, model: 'm' }, execution: { command: `echo 'hyperctl:metrics ${report}'; exit ${i % 5 === 2 ? 1 : 0}` } };
    });
    await runBatch({ name: 'b', jobs }, { batchesDataDir: dir });
    const batch = openBatch('b', { batchesDataDir: dir });
    const every = storedOf(foldBatch(dir, 'b')).jobs;
    // The columns answer for score (a number wherever reported), not for label (text).
    const columns = readBatchColumns(dir, 'b')!;
    expect(Object.keys(columns.metrics)).toEqual(['score']);
    expect(columns.row(39)).toEqual(every[39]);
    for (const sort of [undefined, 'score', 'label', 'i', 'name', 'duration'])
      for (const desc of [false, true])
        for (const top of [0, 1, 5, 39, 40, 60])
          expect(await batch.compare({ ...(sort ? { sort } : {}), desc, top }), `${sort} ${desc} ${top}`).toEqual(
            compareJobs(every, { ...(sort ? { sort } : {}), desc, top }),
          );
    for (const goal of ['min', 'max'] as const) {
      const best = await batch.best('score', goal);
      const expected = bestJob(every, 'score', goal)!;
      expect(best).toMatchObject({ name: expected.name, value: expected.metrics!.score, among: every.filter((j) => j.status === 'succeed').length });
    }
    expect(await batch.best('label', 'max')).toBeUndefined();
    await expect(batch.best('scor', 'max')).rejects.toThrow(/the metrics are score, label/);
  });
});

/** Jobs for the kill trials: each reports a metric, a third fail once and are retried, some fail for good. */
function killTrialConfig(dir: string): string {
  const jobs = Array.from({ length: 14 }, (_, i) => {
    const flag = join(dir, `once-${i}`);
    const failOnce = i % 3 === 0 ? `if [ ! -e '${flag}' ]; then touch '${flag}'; exit 5; fi; ` : '';
    return {
      name: `j${i}`,
      params: { i },
      retries: 1,
      execution: { command: `${failOnce}sleep 0.0${i % 7}; echo 'hyperctl:metrics {"score": ${i}}'; exit ${i % 5 === 4 ? 2 : 0}` },
    };
  });
  const config = join(dir, 'b.json');
  writeFileSync(config, JSON.stringify({ name: 'trial', jobs, job_defaults: { retry_on: ['failed'] } }));
  return config;
}

describe('readers and a full fold of the journal agree at random instants', () => {
  it(`whatever instant a run was killed at, steered or not, and after the re-run (${faultTrials} trials)`, async () => {
    const random = seededRandom();
    const trials = Array.from({ length: faultTrials }, () => ({
      delays: [Math.floor(random.next() * 900), Math.floor(random.next() * 900)],
      steer: random.next() < 0.5,
    }));
    for (let i = 0; i < trials.length; i += 2) {
      await Promise.all(
        trials.slice(i, i + 2).map(async ({ delays, steer }) => {
          try {
            const dir = tempDir();
            const config = killTrialConfig(dir);
            const args = ['run', ...quickRun, '-c', config, '-p', '2', '--kill-grace', '1', '--batches-data-dir', dir];
            for (const delay of delays) {
              const run = startCli(args);
              if (steer) await runCli(['batch', 'update', 'trial', '--parallelism', '3', '--batches-data-dir', dir]).catch(() => undefined);
              await new Promise((resolve) => setTimeout(resolve, delay));
              run.child.kill('SIGKILL');
              await run.done;
              // Killed before its folder was made: there is nothing to read yet.
              if (!existsSync(join(dir, 'trial', batchFiles.spec))) continue;
              // Twice: the first read may build the index, the second reads it.
              expectReadersAgree(dir, 'trial');
              expectReadersAgree(dir, 'trial');
            }
            const last = await runCli(args);
            expect(last.code, last.stderr).not.toBe(2);
            expectReadersAgree(dir, 'trial');
            expect(existsSync(join(dir, 'trial', batchFiles.index))).toBe(true);
            expect(readBatch(dir, 'trial').counts).toMatchObject({ total: 14, init: 0, running: 0 });
          } catch (error) {
            throw new Error(
              `trial killed after ${delays.join(', ')} ms${steer ? ', steered' : ''} (HYPERCTL_FAULT_SEED=${random.seed}): ${(error as Error).message}`,
              {
                cause: error,
              },
            );
          }
        }),
      );
    }
  }, 300_000);
});
