import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createReporter } from '../../cli/reporters/create-reporter.js';
import type { BatchResult, JobResult } from '../../src/index.js';

function fakeStream(isTTY: boolean): NodeJS.WriteStream & { text: () => string } {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & { text: () => string };
  let text = '';
  stream.on('data', (c: Buffer) => (text += c));
  Object.assign(stream, { isTTY, columns: 80, text: () => text });
  return stream;
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
  counts: { total: 2, succeed: 1, failed: 1, killed: 0, init: 0, skipped: 0 },
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
  reporter.onEvent({ type: 'batch:start', batch: 'b', dataDir: '/d', total: 2, toRun: 2, skipped: 0, slots: 1 });
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

  it('tails output line by line, a line without end in pieces instead of held whole', () => {
    const stdout = fakeStream(false);
    const stderr = fakeStream(false);
    const reporter = createReporter('plain', true, { stdout, stderr, env: {} });
    reporter.onEvent({ type: 'batch:start', batch: 'b', dataDir: '/d', total: 1, toRun: 1, skipped: 0, slots: 1 });
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
