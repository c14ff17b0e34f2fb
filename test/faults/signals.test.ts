import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { latestByJob, readJournal } from '../../src/store/journal.js';
import { fixturesDir, quickRun, runCli, startCli } from '../helpers/cli.js';
import { faultTrials, readSideEffects, seededRandom } from '../helpers/fault-trials.js';
import { isRunning, waitFor } from '../helpers/processes.js';
import { tempDir } from '../helpers/tmp.js';

/** One trial: `signal` `delayMs` after `hyperctl run` started, start-up included. */
async function interrupt(signal: NodeJS.Signals, delayMs: number): Promise<void> {
  const dir = tempDir();
  const log = join(dir, 'side-effects.log');
  // Jobs that declare resources: the run first probes the machine's capacity, a longer start-up.
  const jobs = Array.from({ length: 6 }, (_, i) => ({
    name: `j${i}`,
    params: { i },
    resource: { cpu: 0.5 },
    execution: { command: `sh '${join(fixturesDir, 'side-effect.sh')}' 0.3` },
  }));
  const config = join(dir, 'b.json');
  writeFileSync(config, JSON.stringify({ name: 'startup', jobs }));
  const args = ['run', ...quickRun, '-c', config, '--kill-grace', '1', '--batches-data-dir', dir];
  const run = startCli(args, { env: { SIDE_EFFECT_LOG: log, RUN: '1' } });
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  run.child.kill(signal);
  const { code, signal: endedBy, stderr } = await run.done;
  expect(stderr).not.toMatch(/internal error|\n\s+at /);
  // Before Node has loaded the CLI, no program can handle a signal: the signal ends it, as the shell's 128+n says, before anything is written.
  if (endedBy === signal) expect(existsSync(join(dir, 'startup'))).toBe(false);
  else expect(code).toBe(130);
  const started = readSideEffects(log).filter((e) => e.kind === 'start');
  await waitFor(() => started.every((e) => !isRunning(e.pid!)), 'the interrupted jobs to be gone', 5000);
  // Whatever ran is recorded as ended; nothing is left marked running.
  const journal = join(dir, 'startup', 'journal.jsonl');
  if (existsSync(journal)) for (const record of latestByJob(readJournal(journal)).values()) expect(record.e, record.job).toBe('exit');
  else expect(started).toEqual([]);
  expect(existsSync(join(dir, 'startup', 'runner.json'))).toBe(false);
  const again = await runCli(args, { env: { SIDE_EFFECT_LOG: log, RUN: '2' } });
  expect(again.code, again.stderr).toBe(0);
}

describe('a signal at any instant of a run', () => {
  it(`ends it with exit 130, start-up included, and a re-run resumes it (${faultTrials} trials)`, async () => {
    const random = seededRandom();
    const trials = Array.from({ length: faultTrials }, (_, i) => ({
      signal: (i % 2 ? 'SIGTERM' : 'SIGINT') as NodeJS.Signals,
      delay: Math.floor(random.next() * 700),
    }));
    for (let i = 0; i < trials.length; i += 2) {
      await Promise.all(
        trials.slice(i, i + 2).map(({ signal, delay }) =>
          interrupt(signal, delay).catch((error: unknown) => {
            throw new Error(`${signal} after ${delay} ms (HYPERCTL_FAULT_SEED=${random.seed}): ${(error as Error).message}`, { cause: error });
          }),
        ),
      );
    }
  }, 240_000);

  it('before the CLI has even loaded: it ends, and nothing is written', async () => {
    const dir = tempDir();
    const config = join(dir, 'b.json');
    writeFileSync(config, JSON.stringify({ name: 'early', jobs: [{ params: {}, execution: { command: 'true' } }] }));
    const run = startCli(['run', ...quickRun, '-c', config, '--batches-data-dir', join(dir, 'data')]);
    run.child.kill('SIGINT');
    const { code, signal } = await run.done;
    expect(code === 130 || signal === 'SIGINT').toBe(true);
    expect(existsSync(join(dir, 'data')) ? readdirSync(join(dir, 'data')) : []).toEqual([]);
  });
});
