import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { latestByJob, readJournal } from '../../src/store/journal.js';
import { cliPath, quickRun, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/** Runs the CLI with stdout into a pipe that is closed once `lines` lines came through, as `| head -n lines` does. */
function runIntoHead(args: readonly string[], lines: number, closeStderr = false): Promise<{ code: number | null; stderr: string; seen: string }> {
  const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let seen = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    seen += chunk;
    if (seen.split('\n').length > lines) child.stdout.destroy();
  });
  if (closeStderr) child.stderr.destroy();
  else child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr, seen })));
}

function batchOf(dir: string, count: number): string {
  const jobs = Array.from({ length: count }, (_, i) => ({ name: `j${i}`, params: { i }, execution: { command: `echo out ${i}; sleep 0.${(i % 3) + 1}` } }));
  const config = join(dir, 'b.json');
  writeFileSync(config, JSON.stringify({ name: 'piped', jobs }));
  return config;
}

describe('a closed stdout or stderr', () => {
  it('does not stop a run: `hyperctl run | head -2` runs and records every job', async () => {
    const dir = tempDir();
    const { code, stderr, seen } = await runIntoHead(['run', ...quickRun, '-c', batchOf(dir, 8), '-p', '4', '--batches-data-dir', dir], 2);
    expect(seen.split('\n').length).toBeGreaterThanOrEqual(2);
    expect(stderr).not.toMatch(/EPIPE|internal error|\n\s+at /);
    expect(code).toBe(0);
    const journal = latestByJob(readJournal(join(dir, 'piped', 'journal.jsonl')));
    expect([...journal.values()].map((r) => r.e === 'exit' && r.status)).toEqual(Array(8).fill('succeed'));
  });

  it('does not stop a run whose stderr is closed, nor one that tails output into a closed pipe', async () => {
    const dir = tempDir();
    const config = batchOf(dir, 6);
    expect((await runIntoHead(['run', ...quickRun, '-c', config, '-p', '3', '--batches-data-dir', dir], 100, true)).code).toBe(0);
    const tailed = await runIntoHead(['run', ...quickRun, '-c', config, '-p', '3', '--force', '--tail', '--batches-data-dir', dir], 1);
    expect(tailed.stderr).not.toMatch(/EPIPE|internal error|\n\s+at /);
    expect(tailed.code).toBe(0);
  });

  it('ends a reading command quietly: `job logs | head -1` and `batch show | head -1` exit 0', async () => {
    const dir = tempDir();
    const config = join(dir, 'b.json');
    writeFileSync(config, JSON.stringify({ name: 'chatty', jobs: [{ name: 'a', params: {}, execution: { command: 'seq 1 200000' } }] }));
    expect((await runCli(['run', ...quickRun, '-c', config, '--batches-data-dir', dir])).code).toBe(0);
    for (const args of [
      ['job', 'logs', '-b', 'chatty', '-j', 'a'],
      ['batch', 'show', 'chatty'],
      ['job', 'list', '-b', 'chatty', '--json'],
    ]) {
      const { code, stderr } = await runIntoHead([...args, '--batches-data-dir', dir], 1);
      expect(stderr, args.join(' ')).toBe('');
      expect(code, args.join(' ')).toBe(0);
    }
  });
});
