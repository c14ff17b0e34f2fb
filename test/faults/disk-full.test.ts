import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JournalWriter, latestByJob, readJournal } from '../../src/store/journal.js';
import type { JournalRecord } from '../../src/state/records.js';
import { fixturesDir, quickRun, runCli } from '../helpers/cli.js';
import { readSideEffects } from '../helpers/fault-trials.js';
import { isRunning, waitFor } from '../helpers/processes.js';
import { tempDir } from '../helpers/tmp.js';
import { mountSmallDisk, type SmallDisk } from '../helpers/tmpfs.js';

const disks: SmallDisk[] = [];
afterEach(() => {
  for (const disk of disks.splice(0)) disk.unmount();
});

function disk(size: string, skip: (reason: string) => void): SmallDisk {
  const mounted = mountSmallDisk(size);
  if (typeof mounted === 'string') {
    skip(mounted);
    throw new Error(mounted);
  }
  disks.push(mounted);
  return mounted;
}

/** Fills what is left of the disk with one file; returns its path. */
function fill(dir: string): string {
  const filler = join(dir, 'filler');
  const block = Buffer.alloc(4096, 1);
  try {
    for (;;) appendFileSync(filler, block);
  } catch {
    // full
  }
  try {
    for (;;) appendFileSync(filler, 'x');
  } catch {
    return filler;
  }
}

/** Every file under `dir` whose name says it is a temp file left half-written. */
function leftovers(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((name) => /\.tmp-\d+$/.test(name));
}

const record = (job: string, size = 300): JournalRecord => ({
  e: 'exit',
  job,
  hash: 'h'.repeat(16),
  status: 'succeed',
  code: 0,
  signal: null,
  startedAt: 1,
  at: 2,
  host: 'local',
  reason: 'x'.repeat(size),
});

describe('a full disk', () => {
  it('never leaves a journal record half written: a cut-short append is taken back, and the next one starts whole', ({ skip }) => {
    const { dir } = disk('1m', skip);
    const path = join(dir, 'journal.jsonl');
    const journal = new JournalWriter(path);
    journal.append(record('a'));
    const filler = fill(dir);
    // The journal's last page has room for part of a record larger than a page: the write is cut short.
    expect(() => journal.append(record('b', 6000))).toThrow(/no space left on the device/);
    rmSync(filler);
    journal.append(record('c'));
    journal.close();
    expect(
      readFileSync(path, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as { job: string }).job),
    ).toEqual(['a', 'c']);
  });

  it('ends the run with exit 74 and how to resume, keeps nothing half written, and a re-run resumes exactly', async ({ skip }) => {
    const small = disk('2m', skip);
    const log = join(tempDir(), 'side-effects.log');
    // Each job leaves 400 KB of output: the disk holds about four.
    const jobs = Array.from({ length: 10 }, (_, i) => ({
      name: `j${i}`,
      params: { i },
      execution: { command: `head -c 400000 /dev/zero; sh '${join(fixturesDir, 'side-effect.sh')}' 0` },
    }));
    const config = join(tempDir(), 'b.json');
    writeFileSync(config, JSON.stringify({ name: 'full', jobs }));
    const args = ['run', ...quickRun, '-c', config, '--kill-grace', '1', '--batches-data-dir', small.dir];
    const first = await runCli(args, { env: { SIDE_EFFECT_LOG: log, RUN: '1' } });
    expect(first.stderr).toMatch(
      /hyperctl: cannot write .*: no space left on the device \(ENOSPC\); what was not recorded runs again when the batch is run again/,
    );
    expect(first.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(first.stdout).not.toContain('succeeded:');
    expect(first.code).toBe(74);
    const batchDir = join(small.dir, 'full');
    expect(leftovers(batchDir)).toEqual([]);
    expect(existsSync(join(batchDir, 'runner.json'))).toBe(false);
    const lines = readFileSync(join(batchDir, 'journal.jsonl'), 'utf8').split('\n').filter(Boolean);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    const succeeded = [...latestByJob(readJournal(join(batchDir, 'journal.jsonl'))).values()]
      .filter((r) => r.e === 'exit' && r.status === 'succeed')
      .map((r) => r.job);
    expect(succeeded.length).toBeLessThan(10);
    const pids = readSideEffects(log).flatMap((e) => (e.pid ? [e.pid] : []));
    await waitFor(() => pids.every((pid) => !isRunning(pid)), 'every job process to be gone', 5000);

    small.resize('64m');
    const second = await runCli(args, { env: { SIDE_EFFECT_LOG: log, RUN: '2' } });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain(`10 jobs, ${succeeded.length} already succeeded`);
    const rerun = readSideEffects(log)
      .filter((e) => e.run === '2' && e.kind === 'start')
      .map((e) => e.job);
    for (const job of succeeded) expect(rerun).not.toContain(job);
    expect(new Set(rerun).size).toBe(10 - succeeded.length);
  });

  it('refuses to start on a disk that is already full, leaving no lock and no temp file', async ({ skip }) => {
    const small = disk('1m', skip);
    const config = join(tempDir(), 'b.json');
    writeFileSync(config, JSON.stringify({ name: 'nospace', jobs: [{ params: { a: 1 }, execution: { command: 'true' } }] }));
    // The batch folder exists (an earlier run), and not a byte is free.
    expect((await runCli(['run', ...quickRun, '-c', config, '--batches-data-dir', small.dir])).code).toBe(0);
    fill(small.dir);
    const { code, stderr } = await runCli(['run', ...quickRun, '-c', config, '--force', '--batches-data-dir', small.dir]);
    expect(stderr).toMatch(/cannot write .*no space left on the device/);
    expect(stderr).not.toMatch(/internal error|\n\s+at /);
    expect(code).toBe(74);
    expect(existsSync(join(small.dir, 'nospace', 'runner.json'))).toBe(false);
    expect(leftovers(join(small.dir, 'nospace'))).toEqual([]);
  });
});
