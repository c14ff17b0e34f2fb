import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createReporter } from '../../cli/reporters/create-reporter.js';
import { summaryJson, summaryText } from '../../cli/reporters/summary.js';
import { styleFor } from '../../cli/style.js';
import { estimateRemainingMs } from '../../cli/reporters/eta.js';
import stringWidth from 'string-width';
import { tempDir } from '../helpers/tmp.js';
import type { BatchResult, JobResult } from '../../src/index.js';

function fakeStream(isTTY: boolean, columns = 80): NodeJS.WriteStream & { text: () => string } {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & { text: () => string };
  let text = '';
  stream.on('data', (c: Buffer) => (text += c));
  Object.assign(stream, { isTTY, columns, text: () => text });
  return stream;
}

/** The live block's lines as last drawn, without colours: what a terminal shows below the lines that stay. */
function blockLines(stderr: string): string[] {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the redraw sequence is what splits the frames
  const frames = stderr.split(/\r(?:\u001b\[\d+A)?\u001b\[J/);
  const lines = stripVTControlCharacters(frames.at(-1) ?? '').split('\n');
  return lines.slice(lines.findIndex((line) => /^\d+\/\d+ done/.test(line)));
}

const jobResult = (name: string, status: JobResult['status']): JobResult => ({
  name,
  status,
  exitCode: status === 'succeed' ? 0 : 1,
  signal: null,
  skipped: false,
  params: {},
  dataDir: '/d',
  stdoutPath: '/d/stdout',
  stderrPath: '/d/stderr',
  durationMs: 10,
});
const result: BatchResult = {
  name: 'b',
  dataDir: '/d',
  status: 'failed',
  counts: { total: 2, succeed: 1, failed: 1, killed: 0, pruned: 0, init: 0, skipped: 0 },
  jobs: [jobResult('a', 'succeed'), jobResult('c', 'failed')],
  startedAt: 0,
  endedAt: 10,
  durationMs: 10,
};

function play(mode: 'tty' | 'plain', env: NodeJS.ProcessEnv) {
  const stdout = fakeStream(mode === 'tty');
  const stderr = fakeStream(mode === 'tty');
  // The environment is passed in: the reporters read nothing of the process's own.
  const reporter = createReporter(mode, false, { stdout, stderr, env });
  reporter.onEvent({ type: 'batch:start', batch: 'b', dataDir: '/d', total: 2, toRun: 2, skipped: 0, pruned: 0, slots: 1 });
  reporter.onEvent({ type: 'job:start', job: 'a', host: 'local', at: Date.now() });
  reporter.onEvent({ type: 'job:exit', job: jobResult('a', 'succeed') });
  reporter.onEvent({ type: 'job:start', job: 'c', host: 'local', at: Date.now() });
  reporter.onEvent({ type: 'job:exit', job: jobResult('c', 'failed') });
  reporter.finish(result);
  return { stdout: stdout.text(), stderr: stderr.text() };
}

describe('run progress', () => {
  it('draws a live status block with counts on a terminal, in colour', () => {
    const { stdout, stderr } = play('tty', {});
    expect(stdout).toBe('');
    expect(stderr).toContain('1/2 done · 1 running · 0 failed');
    expect(stderr).toContain('running: c');
    expect(stderr).toContain('\u001b[31mfailed\u001b[39m c');
    expect(stderr).toContain('\u001b[J');
  });

  it('respects NO_COLOR on a terminal', () => {
    const { stderr } = play('tty', { NO_COLOR: '1' });
    // biome-ignore lint/suspicious/noControlCharactersInRegex: an escape sequence is what must be absent
    expect(stderr).not.toMatch(/\u001b\[\d+m/);
    expect(stderr).toContain('2/2 done');
  });

  it('prints one plain line per job when not on a terminal', () => {
    const { stdout, stderr } = play('plain', {});
    expect(stderr).toBe('');
    expect(stdout.split('\n')).toEqual([
      'batch b: 2 jobs, 0 already succeeded, 2 to run on 1 slot · /d',
      '[1/2] succeed a 0.0s',
      '[2/2] failed c 0.0s (exit code 1)',
      'batch b failed: 1 succeed (0 skipped), 1 failed, 0 killed in 0.0s',
      '  failed c: exit code 1 · /d/stderr',
      '',
    ]);
  });

  it('counts each job once, by its last status: a failed job retried and then succeeded is no failure', () => {
    const stdout = fakeStream(true);
    const stderr = fakeStream(true);
    const reporter = createReporter('tty', false, { stdout, stderr, env: { NO_COLOR: '1' } });
    reporter.onEvent({ type: 'batch:start', batch: 'b', dataDir: '/d', total: 3, toRun: 3, skipped: 0, pruned: 0, slots: 1 });
    for (const [job, status] of [
      ['a', 'failed'],
      ['b', 'pruned'],
    ] as const) {
      reporter.onEvent({ type: 'job:start', job, host: 'local', at: Date.now() });
      reporter.onEvent({ type: 'job:exit', job: jobResult(job, status) });
    }
    expect(stderr.text().split('\u001b[J').at(-1)).toContain('2/3 done · 0 running · 1 failed · 1 pruned');
    // `job retry a`: it runs again, and ends well this time.
    reporter.onEvent({ type: 'batch:steer', change: 'queued again: a', paused: false, queued: 0 });
    reporter.onEvent({ type: 'job:start', job: 'a', host: 'local', at: Date.now() });
    expect(stderr.text().split('\u001b[J').at(-1)).toContain('1/3 done · 1 running · 0 failed · 1 pruned');
    reporter.onEvent({ type: 'job:exit', job: jobResult('a', 'succeed') });
    expect(stderr.text().split('\u001b[J').at(-1)).toContain('2/3 done · 0 running · 0 failed · 1 pruned');
  });

  it('says how many jobs of a re-run ended before, the pruned apart from those that succeeded', () => {
    const stdout = fakeStream(false);
    const reporter = createReporter('plain', false, { stdout, stderr: fakeStream(false), env: {} });
    reporter.onEvent({ type: 'batch:start', batch: 'b', dataDir: '/d', total: 30, toRun: 19, skipped: 9, pruned: 2, slots: 2 });
    expect(stdout.text()).toBe('batch b: 30 jobs, 9 already succeeded, 2 pruned before, 19 to run on 2 slots · /d\n');
  });

  it('tails output line by line, a line without end in pieces instead of held whole', () => {
    const stdout = fakeStream(false);
    const stderr = fakeStream(false);
    const reporter = createReporter('plain', true, { stdout, stderr, env: {} });
    reporter.onEvent({ type: 'batch:start', batch: 'b', dataDir: '/d', total: 1, toRun: 1, skipped: 0, pruned: 0, slots: 1 });
    reporter.onEvent({ type: 'job:output', job: 'a', stream: 'stdout', chunk: Buffer.from('one\ntw') });
    reporter.onEvent({ type: 'job:output', job: 'a', stream: 'stdout', chunk: Buffer.from('o\n') });
    const lines = stdout.text().split('\n');
    expect(lines.slice(1, 3)).toEqual(['[a] one', '[a] two']);
    for (let i = 0; i < 40; i++) reporter.onEvent({ type: 'job:output', job: 'a', stream: 'stdout', chunk: Buffer.alloc(16 * 1024, 0x78) });
    const pieces = stdout
      .text()
      .split('\n')
      .filter((line) => line.startsWith('[a] xx'));
    expect(pieces.length).toBeGreaterThanOrEqual(7);
    for (const piece of pieces) expect(piece.length).toBeLessThan(90 * 1024);
  });
});

describe('the live block', () => {
  const start = (columns = 80) => {
    const stdout = fakeStream(true, columns);
    const stderr = fakeStream(true, columns);
    const reporter = createReporter('tty', false, { stdout, stderr, env: { NO_COLOR: '1' } });
    return { reporter, stderr };
  };

  it('counts a killed job as killed, not failed', () => {
    const { reporter, stderr } = start();
    reporter.onEvent({ type: 'batch:start', batch: 'b', dataDir: '/d', total: 3, toRun: 3, skipped: 0, pruned: 0, slots: 1 });
    reporter.onEvent({ type: 'job:start', job: 'a', host: 'local', at: Date.now() });
    reporter.onEvent({ type: 'job:exit', job: jobResult('a', 'killed') });
    reporter.onEvent({ type: 'job:start', job: 'b', host: 'local', at: Date.now() });
    expect(blockLines(stderr.text())[0]).toMatch(/^1\/3 done · 1 running · 0 failed · 1 killed · /);
  });

  it('says stopping after a stop, and its ETA counts only the running jobs', () => {
    const { reporter, stderr } = start();
    const now = Date.now();
    reporter.onEvent({ type: 'batch:start', batch: 'b', dataDir: '/d', total: 100, toRun: 100, skipped: 0, pruned: 0, slots: 2 });
    reporter.onEvent({ type: 'job:start', job: 'a', host: 'local', at: now });
    reporter.onEvent({ type: 'job:exit', job: { ...jobResult('a', 'succeed'), durationMs: 60_000 } });
    reporter.onEvent({ type: 'job:start', job: 'b', host: 'local', at: now });
    reporter.onEvent({ type: 'job:start', job: 'c', host: 'local', at: now });
    // 97 jobs to go on 2 slots at a minute each, plus the minute the running ones have left.
    expect(blockLines(stderr.text())[0]).toMatch(/ · ETA 49m3\ds$/);
    reporter.onEvent({ type: 'batch:stopping', reason: 'the batch was stopped', kill: false });
    expect(stderr.text()).toContain('stopping: the batch was stopped; letting the running jobs finish, starting no more\n');
    expect(blockLines(stderr.text())[0]).toMatch(/ · stopping · ETA (59|1m00)s?/);
    reporter.close();
  });

  it('fits every line in a narrow terminal', () => {
    const { reporter, stderr } = start(30);
    reporter.onEvent({ type: 'batch:start', batch: 'b', dataDir: '/d', total: 1000, toRun: 1000, skipped: 0, pruned: 0, slots: 8 });
    for (const name of ['learning_rate=0.001,depth=12', '学習率=0.001,深さ=12', 'c'])
      reporter.onEvent({ type: 'job:start', job: name, host: 'local', at: Date.now() });
    const lines = blockLines(stderr.text());
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(stringWidth(line)).toBeLessThanOrEqual(29);
    reporter.close();
  });

  it("shows the last lines of a failed job's stderr under its line, with control characters made harmless", () => {
    const dir = tempDir();
    const stderrPath = join(dir, 'stderr');
    writeFileSync(
      stderrPath,
      `${'noise\n'.repeat(2000)}Traceback (most recent call last):\n  File "train.py", line 3\n\u001b[2JValueError: lr must be > 0\n\n`,
    );
    for (const mode of ['plain', 'tty'] as const) {
      const stdout = fakeStream(mode === 'tty');
      const stderr = fakeStream(mode === 'tty');
      const reporter = createReporter(mode, false, { stdout, stderr, env: { NO_COLOR: '1' } });
      reporter.onEvent({ type: 'batch:start', batch: 'b', dataDir: dir, total: 1, toRun: 1, skipped: 0, pruned: 0, slots: 1 });
      reporter.onEvent({ type: 'job:exit', job: { ...jobResult('c', 'failed'), stderrPath } });
      reporter.close();
      const text = mode === 'tty' ? stderr.text() : stdout.text();
      expect(text).toContain(
        '[1/1] failed c 0.0s (exit code 1)\n    noise\n    noise\n    Traceback (most recent call last):\n      File "train.py", line 3\n    ?[2JValueError: lr must be > 0\n',
      );
    }
  });
});

describe('the estimate of time left', () => {
  it('is not inflated by the parallelism when the first job ends', () => {
    // 8 slots, 80 jobs of 10 s: one ended at 10 s, 8 run, 71 wait: about 10 × 71 / 8 + 0 s left.
    const now = 10_000;
    const left = estimateRemainingMs({ now, runningSince: Array(8).fill(0), finishedMs: 10_000, finished: 1, pending: 71 });
    expect(left).toBeCloseTo((71 * 10_000) / 8, -2);
  });

  it('is unknown before a job ends', () => {
    expect(estimateRemainingMs({ now: 5, runningSince: [0], finishedMs: 0, finished: 0, pending: 3 })).toBeUndefined();
  });
});

describe('the --json summary', () => {
  it('says where and when each job that started ran', () => {
    const ran = { ...jobResult('a', 'succeed'), host: 'gpu1', startedAt: Date.UTC(2026, 0, 2, 3, 4, 5), endedAt: Date.UTC(2026, 0, 2, 3, 4, 6) };
    const jobs = (summaryJson({ ...result, jobs: [ran, jobResult('c', 'init')] }) as { jobs: Record<string, unknown>[] }).jobs;
    expect(jobs[0]).toMatchObject({ name: 'a', host: 'gpu1', startedAt: '2026-01-02T03:04:05.000Z', durationMs: 10 });
    expect(jobs[1]).not.toHaveProperty('host');
    expect(jobs[1]).not.toHaveProperty('startedAt');
  });
});

describe('the summary of a run with an upload', () => {
  it('says per machine what was sent and what came back, in text and in --json', () => {
    const transfers = [
      { host: 'gpu1', upload: { snapshot: 'abc', sent: true, bytes: 12.5 * 1024 * 1024, ms: 1200 }, outputs: { files: 8, bytes: 3 * 1024 * 1024, ms: 400 } },
      { host: 'gpu2', upload: { snapshot: 'abc', sent: false, bytes: 0, ms: 40 } },
    ];
    const style = styleFor(fakeStream(false), {});
    const text = summaryText({ ...result, transfers }, style).split('\n');
    expect(text).toContain('gpu1: upload 12.5 MB in 1.2s · outputs 8 files, 3.0 MB in 0.4s');
    expect(text).toContain('gpu2: upload there already (40 ms)');
    expect((summaryJson({ ...result, transfers }) as { transfers: unknown }).transfers).toEqual(transfers);
  });

  it('shows how far each upload has come on a terminal, and what it took once it is there', () => {
    const stdout = fakeStream(true);
    const stderr = fakeStream(true);
    const reporter = createReporter('tty', false, { stdout, stderr, env: { NO_COLOR: '1' } });
    const mb = 1024 * 1024;
    reporter.onEvent({ type: 'host:upload-progress', host: 'gpu1', sent: 12 * mb, total: 50 * mb });
    reporter.onEvent({ type: 'host:upload-progress', host: 'gpu2', sent: 30 * mb, total: 50 * mb });
    expect(stripVTControlCharacters(stderr.text()).split(/\r/).at(-1)).toContain('uploading: gpu1 12.0/50.0 MB · gpu2 30.0/50.0 MB');
    reporter.onEvent({ type: 'host:upload', host: 'gpu1', snapshot: 'abc', sent: true, bytes: 50 * mb, ms: 2500 });
    // Said once, above the block; the block then follows the upload still under way.
    expect(stripVTControlCharacters(stderr.text())).toContain('gpu1: uploaded 50.0 MB in 2.5s\n');
    const last = stripVTControlCharacters(stderr.text()).split(/\r/).at(-1)!;
    expect(last).toContain('uploading: gpu2 30.0/50.0 MB');
    expect(last).not.toContain('gpu1 12.0');
    reporter.close();
  });
});
