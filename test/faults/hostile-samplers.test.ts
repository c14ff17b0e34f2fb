import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { quickRun, runCli, startCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/processes.js';
import { tempDir } from '../helpers/tmp.js';

// A sampler of the user's own is another program: it can answer outside the space, flood, hang
// on to its output, or print what a terminal would obey. None of it may cost the run more than
// the search it was asked for.

/** A search whose params come from `sampler.py` (Python: what such samplers are written in). */
function search(dir: string, sampler: string, extra: Record<string, unknown> = {}): string {
  writeFileSync(join(dir, 'sampler.py'), sampler);
  const path = join(dir, 'search.json');
  writeFileSync(
    path,
    JSON.stringify({
      name: 'hostile',
      params: { x: { uniform: [0, 1] }, n: { int: [1, 5] } },
      execution: { command: 'echo "hyperctl:metrics {\\"loss\\": {x}}"' },
      search: { algorithm: 'command', command: 'python3 -u sampler.py', metric: 'loss', max_trials: 2, ask_timeout: 5, ...extra },
    }),
  );
  return path;
}

/** A sampler that answers every ask with `answer` (a Python expression of the ask), and ignores tells. */
const answering = (answer: string) =>
  `import json, sys\nfor line in sys.stdin:\n    ask = json.loads(line).get('ask')\n    if ask is None: continue\n    sys.stdout.write(${answer} + '\\n')\n    sys.stdout.flush()\n`;

async function stoppedBecause(dir: string, config: string): Promise<string> {
  const run = await runCli(['run', ...quickRun, '--json', config, '--batches-data-dir', join(dir, 'data')]);
  return JSON.parse(run.stdout).search.stoppedBecause;
}

describe('a hostile sampler', () => {
  it('answering outside the space is refused naming the param, before any trial runs', async () => {
    for (const [answer, why] of [
      [`'{"params": {"x": 99, "n": 1}}'`, 'x: expected a number from 0 to 1, got 99'],
      [`'{"params": {"x": "0.5", "n": 1}}'`, 'x: expected a finite number, got "0.5"'],
      [`'{"params": {"x": 1e999, "n": 1}}'`, 'x: expected a finite number, got null'],
      [`'{"params": {"x": 0.5, "n": 2.5}}'`, 'n: expected a whole number, got 2.5'],
      [`'{"params": {"x": 0.5, "n": 1, "__proto__": {"a": 1}}}'`, 'not in the space: __proto__'],
    ] as const) {
      const dir = tempDir();
      expect(await stoppedBecause(dir, search(dir, answering(answer)))).toContain(why);
      expect(existsSync(join(dir, 'data', 'hostile', 'trial-1'))).toBe(false);
    }
  });

  it('an answer line without end is cut at 1 MiB as it is read; a stderr flood is kept to 10 MiB', async () => {
    const dir = tempDir();
    const flood = `import sys\nsys.stderr.write('e' * (30 * 1024 * 1024))\nsys.stderr.flush()\nfor line in sys.stdin:\n    if '"ask"' in line:\n        sys.stdout.write('x' * (300 * 1024 * 1024))\n        sys.stdout.flush()\n`;
    expect(await stoppedBecause(dir, search(dir, flood, { ask_timeout: 60 }))).toContain('its answer is longer than 1 MiB');
    const log = join(dir, 'data', 'hostile', 'sampler.log');
    expect(statSync(log).size).toBeLessThan(10.1 * 1024 * 1024);
    expect(readFileSync(log, 'utf8')).toMatch(/hyperctl: the sampler wrote \d+ bytes more to stderr than the 10485760 kept here/);
  });

  it('a stop reason reaches the terminal without its control characters', async () => {
    const dir = tempDir();
    const config = search(dir, answering(`'{"stop": "done\\\\u001b[2J\\\\u001b]0;owned\\\\u0007"}'`));
    const run = await runCli(['run', ...quickRun, config, '--batches-data-dir', join(dir, 'data')]);
    expect(`${run.stdout}${run.stderr}`).toContain('the sampler stopped: done?[2J?]0;owned?');
    expect(`${run.stdout}${run.stderr}`).not.toContain('\u001b');
  });

  it('leaving a child that holds its output does not keep the run alive once proposing is over', async () => {
    const dir = tempDir();
    const sampler = `import json, subprocess, sys\nsubprocess.Popen(['sleep', '95'])\nn = 0\nfor line in sys.stdin:\n    if '"ask"' not in line: continue\n    n += 1\n    sys.stdout.write(json.dumps({'params': {'x': 0.5, 'n': n}}) + '\\n')\n    sys.stdout.flush()\n`;
    const run = startCli(['run', ...quickRun, search(dir, sampler), '--batches-data-dir', join(dir, 'data')]);
    let ended = false;
    void run.done.then(() => (ended = true));
    await waitFor(() => ended, 'the run to end', 20_000);
    expect((await run.done).code).toBe(0);
  });
});

describe('numbers in a search config that pass as numbers', () => {
  it('are refused when no timer or count could honour them, saying what is expected', async () => {
    for (const [extra, why] of [
      [{ ask_timeout: 1e12 }, 'search.ask_timeout: expected seconds, more than 0 and at most 2147483 (24 days)'],
      [{ max_trials: 1.5 }, 'search.max_trials: expected a whole number ≥ 1, got 1.5 (number)'],
      [{ seed: 1.5 }, 'search.seed: expected a whole number from 0 to 4294967295, got 1.5 (number)'],
      [{ metric: 'lo\u0000ss' }, 'search.metric: must not contain control characters'],
    ] as const) {
      const dir = tempDir();
      const config = search(dir, answering(`'{"stop": "no"}'`), extra);
      const run = await runCli(['run', ...quickRun, config, '--batches-data-dir', join(dir, 'data')]);
      expect([run.code, run.stderr]).toEqual([2, `hyperctl: ${config}: ${why}\n`]);
    }
  });
});

describe('a search space file that is no regular file', () => {
  it('is refused naming the field: a FIFO, a device, a file too large', async () => {
    const dir = tempDir();
    execFileSync('mkfifo', [join(dir, 'fifo.json')]);
    symlinkSync('/dev/zero', join(dir, 'zero.json'));
    writeFileSync(join(dir, 'big.json'), Buffer.alloc(11 * 1024 * 1024, 32));
    for (const [file, why] of [
      ['fifo.json', 'ENOTREG: not a regular file'],
      ['zero.json', 'ENOTREG: not a regular file'],
      ['big.json', 'EFBIG: 11534336 bytes, more than 10485760'],
    ] as const) {
      const config = join(dir, `${file}.yml`);
      writeFileSync(config, `params:\n  seed: [1]\nexecution:\n  command: echo {args}\nsearch:\n  space_file: ${file}\n  algorithm: random\n  max_trials: 2\n`);
      const run = await runCli(['run', ...quickRun, config, '--batches-data-dir', join(dir, 'data')]);
      expect([run.code, run.stderr]).toEqual([2, `hyperctl: ${config}: search.space_file: cannot read ${file} (${why})\n`]);
    }
  });

  it('is checked as a config is: no __proto__ param, no nesting past 64 levels', async () => {
    const dir = tempDir();
    let deep: unknown = { _type: 'uniform', _value: [0, 1] };
    for (let i = 0; i < 70; i++) deep = { _type: 'choice', _value: [{ _name: `n${i}`, inner: deep }] };
    for (const [file, space, why] of [
      ['proto.json', '{"__proto__": {"_type": "uniform", "_value": [0, 1]}}', '__proto__: "__proto__" cannot be used as a key'],
      ['deep.json', JSON.stringify({ x: deep }), 'nested deeper than 64 levels'],
    ] as const) {
      writeFileSync(join(dir, file), space);
      const config = join(dir, `${file}.yml`);
      writeFileSync(config, `params:\n  seed: [1]\nexecution:\n  command: echo {args}\nsearch:\n  space_file: ${file}\n  algorithm: random\n  max_trials: 2\n`);
      const run = await runCli(['run', ...quickRun, config, '--batches-data-dir', join(dir, 'data')]);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain(`search.space_file ${file}: `);
      expect(run.stderr).toContain(why);
    }
  });
});
