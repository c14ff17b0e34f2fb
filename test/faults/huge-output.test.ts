import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJournal } from '../../src/store/journal.js';
import { quickRun, startCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/** The most memory process `pid` has held so far, in MiB, or undefined once it is gone. */
function peakRssMiB(pid: number): number | undefined {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

/** Starts `hyperctl run` on one job and follows the runner's peak memory until it exits. */
async function runWatched(dir: string, command: string, extra: readonly string[] = [], afterMs?: number) {
  const config = join(dir, 'b.json');
  writeFileSync(config, JSON.stringify({ name: 'big', jobs: [{ name: 'a', params: {}, execution: { command } }] }));
  const run = startCli(['run', ...quickRun, '-c', config, '--kill-grace', '1', '--batches-data-dir', dir, ...extra]);
  let peak = 0;
  const watch = setInterval(() => (peak = Math.max(peak, peakRssMiB(run.child.pid!) ?? peak)), 50);
  let signalledAt: number | undefined;
  if (afterMs !== undefined) {
    setTimeout(() => {
      signalledAt = Date.now();
      run.child.kill('SIGTERM');
    }, afterMs);
  }
  const result = await run.done;
  clearInterval(watch);
  return { ...result, peak, endedAt: Date.now(), signalledAt, journal: readJournal(join(dir, 'big', 'journal.jsonl')) };
}

describe('a job that prints without end', () => {
  it('500 MB on one line: the runner stays under 200 MB, records the exit within a second, and finds the metrics after it', async () => {
    const dir = tempDir();
    const ended = join(dir, 'ended');
    const { code, peak, journal } = await runWatched(
      dir,
      `head -c 500000000 /dev/zero | tr '\\0' a; echo; echo 'hyperctl:metrics {"loss": 0.5}'; date +%s%3N > '${ended}'`,
    );
    expect(code).toBe(0);
    expect(peak).toBeLessThan(200);
    const exit = journal.find((r) => r.e === 'exit')!;
    expect(exit.e === 'exit' && exit.metrics).toEqual({ loss: 0.5 });
    expect(exit.at - Number(readFileSync(ended, 'utf8'))).toBeLessThan(1000);
    // Printing that log streams it, a chunk at a time.
    for (const follow of [[], ['-f']]) {
      const logs = startCli(['job', 'logs', '-b', 'big', '-j', 'a', ...follow, '--batches-data-dir', dir], { keepOutput: false });
      let printed = 0;
      logs.child.stdout!.on('data', (chunk: Buffer) => (printed += chunk.length));
      let logsPeak = 0;
      const watch = setInterval(() => (logsPeak = Math.max(logsPeak, peakRssMiB(logs.child.pid!) ?? logsPeak)), 50);
      expect((await logs.done).code).toBe(0);
      clearInterval(watch);
      expect(printed).toBeGreaterThan(500_000_000);
      expect(logsPeak).toBeLessThan(200);
    }
  }, 120_000);

  it('with --tail, endless output without a newline, or in millions of short lines: bounded memory, and SIGTERM ends the run at once', async () => {
    const dir = tempDir();
    const { code, peak, endedAt, signalledAt } = await runWatched(dir, `yes | tr -d '\\n'`, ['--tail'], 1500);
    expect(code).toBe(130);
    expect(peak).toBeLessThan(200);
    // The grace between SIGTERM and SIGKILL is 1 s; the rest is the runner's own work.
    expect(endedAt - signalledAt!).toBeLessThan(4000);
    const lines = await runWatched(tempDir(), 'yes', ['--tail'], 1500);
    expect(lines.code).toBe(130);
    expect(lines.peak).toBeLessThan(200);
    expect(lines.endedAt - lines.signalledAt!).toBeLessThan(4000);
  }, 60_000);
});
