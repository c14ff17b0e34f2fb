import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ensureCommand } from '../helpers/system.js';

const tests = fileURLToPath(new URL('./process_starter_test.py', import.meta.url));

describe('the process starter, as Python', () => {
  it('passes its own tests: it starts jobs in sessions of their own and reports their ends as its protocol says', ({ skip }) => {
    const missing = ensureCommand('python3', 'python3');
    if (missing) return skip(missing);
    const run = spawnSync('python3', [tests, '-v'], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^Ran 6 tests/m);
  });
});
