import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { latestByJob, readJournal } from '../../src/store/journal.js';
import { fixturesDir, quickRun, runCli, startCli } from '../helpers/cli.js';
import { faultTrials, readSideEffects, seededRandom } from '../helpers/fault-trials.js';
import { isRunning, waitFor } from '../helpers/processes.js';
import { tempDir } from '../helpers/tmp.js';

const jobCount = 12;

/** One trial: kill -9 of the runner `delayMs` after it started, then a re-run to the end. */
async function killAndResume(delayMs: number, pause: (i: number) => number): Promise<void> {
  const dir = tempDir();
  const log = join(dir, 'side-effects.log');
  const jobs = Array.from({ length: jobCount }, (_, i) => ({
    name: `j${i}`,
    params: { i },
    execution: { command: `sh '${join(fixturesDir, 'side-effect.sh')}' ${pause(i)}` },
  }));
  const config = join(dir, 'b.json');
  writeFileSync(config, JSON.stringify({ name: 'trial', jobs }));
  const args = ['run', ...quickRun, '-c', config, '-p', '3', '--kill-grace', '1', '--batches-data-dir', dir];
  const env = { SIDE_EFFECT_LOG: log };

  const first = startCli(args, { env: { ...env, RUN: '1' } });
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  first.child.kill('SIGKILL');
  await first.done;

  // What the journal holds at the instant of the kill: every line whole but perhaps the last.
  const journalPath = join(dir, 'trial', 'journal.jsonl');
  let lines: string[] = [];
  try {
    lines = readFileSync(journalPath, 'utf8').split('\n').filter(Boolean);
  } catch {
    // killed before the store opened: nothing was recorded
  }
  for (const line of lines.slice(0, -1)) expect(() => JSON.parse(line), line).not.toThrow();
  const recorded = latestByJob(readJournal(journalPath));
  const succeededBefore = [...recorded.values()].filter((r) => r.e === 'exit' && r.status === 'succeed').map((r) => r.job);

  const second = await runCli(args, { env: { ...env, RUN: '2' } });
  expect(second.code, second.stderr).toBe(0);
  expect(second.stderr).not.toMatch(/internal error|\n\s+at /);

  const effects = readSideEffects(log);
  expect(effects.filter((e) => e.kind === 'overlap')).toEqual([]);
  for (const job of succeededBefore)
    expect(
      effects.filter((e) => e.job === job && e.run === '2'),
      `${job} succeeded before the kill and ran again`,
    ).toEqual([]);
  for (let i = 0; i < jobCount; i++)
    expect(
      effects.some((e) => e.job === `j${i}` && e.kind === 'done'),
      `j${i} never finished`,
    ).toBe(true);
  // No job of either run is left behind: the re-run ended what the dead runner had started.
  const pids = effects.flatMap((e) => (e.pid === undefined ? [] : [e.pid]));
  await waitFor(() => pids.every((pid) => !isRunning(pid)), 'every job process to be gone', 5000);
  const final = latestByJob(readJournal(journalPath));
  expect([...final.values()].every((r) => r.e === 'exit' && r.status === 'succeed')).toBe(true);
}

describe('kill -9 of the runner at random instants', () => {
  it(`never runs a recorded success twice, never leaves a job process behind, and resumes to the end (${faultTrials} trials)`, async () => {
    const random = seededRandom();
    const pauses = Array.from({ length: jobCount }, () => 0.05 + random.next() * 0.25);
    const delays = Array.from({ length: faultTrials }, () => Math.floor(random.next() * 1500));
    // Two trials at a time: each is its own batch folder and log.
    for (let i = 0; i < delays.length; i += 2) {
      await Promise.all(
        delays.slice(i, i + 2).map((delay) =>
          killAndResume(delay, (j) => Number(pauses[j]!.toFixed(3))).catch((error: unknown) => {
            throw new Error(`trial with kill after ${delay} ms (HYPERCTL_FAULT_SEED=${random.seed}): ${(error as Error).message}`, { cause: error });
          }),
        ),
      );
    }
  }, 240_000);
});

/** One trial of a search: kill -9 of the runner `delayMs` after it started, then a re-run to the end. */
async function killSearchAndResume(delayMs: number): Promise<void> {
  const dir = tempDir();
  const log = join(dir, 'side-effects.log');
  const config = join(dir, 'search.json');
  writeFileSync(
    config,
    JSON.stringify({
      name: 'hunt',
      params: { x: { uniform: [0, 1] } },
      execution: { command: `sh '${join(fixturesDir, 'side-effect.sh')}' 0.15` },
      search: { algorithm: 'random', max_trials: 10, seed: 7 },
    }),
  );
  const args = ['run', ...quickRun, config, '-p', '3', '--kill-grace', '1', '--batches-data-dir', dir];
  const first = startCli(args, { env: { SIDE_EFFECT_LOG: log, RUN: '1' } });
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  first.child.kill('SIGKILL');
  await first.done;
  const second = await runCli(args, { env: { SIDE_EFFECT_LOG: log, RUN: '2' } });
  expect(second.code, second.stderr).toBe(0);
  const effects = readSideEffects(log);
  // Never two copies of a trial at once, each of the ten trials done, every process gone.
  expect(effects.filter((e) => e.kind === 'overlap')).toEqual([]);
  expect(new Set(effects.filter((e) => e.kind === 'done').map((e) => e.job)).size).toBe(10);
  const pids = effects.flatMap((e) => (e.pid === undefined ? [] : [e.pid]));
  await waitFor(() => pids.every((pid) => !isRunning(pid)), 'every job process to be gone', 5000);
}

describe('kill -9 of the runner of a search at random instants', () => {
  it(`never runs two copies of a trial at once, and the re-run finishes the search (${faultTrials} trials)`, async () => {
    const random = seededRandom();
    const delays = Array.from({ length: faultTrials }, () => Math.floor(300 + random.next() * 1200));
    for (let i = 0; i < delays.length; i += 2) {
      await Promise.all(
        delays.slice(i, i + 2).map((delay) =>
          killSearchAndResume(delay).catch((error: unknown) => {
            throw new Error(`trial with kill after ${delay} ms (HYPERCTL_FAULT_SEED=${random.seed}): ${(error as Error).message}`, { cause: error });
          }),
        ),
      );
    }
  }, 240_000);
});
