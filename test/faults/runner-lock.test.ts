import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CliResult, quickRun, startCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/processes.js';
import { tempDir } from '../helpers/tmp.js';

describe('the runner lock of a batch', () => {
  it('left by a dead runner is taken over by exactly one of several runs started at once', async () => {
    for (let trial = 0; trial < 3; trial++) {
      const dir = tempDir();
      const data = join(dir, 'data');
      mkdirSync(join(data, 'b'), { recursive: true });
      // As a runner killed with SIGKILL leaves it: a pid that no longer runs.
      writeFileSync(join(data, 'b', 'runner.json'), JSON.stringify({ pid: 999_999_999, startTicks: 1, host: hostname(), startedAt: 1 }));
      const config = join(dir, 'b.json');
      // The job holds the batch until every other run has given up: none can come after the winner ended.
      const gate = join(dir, 'gate');
      const command = `echo $$ >> ${join(dir, 'log')}; while [ ! -e ${gate} ]; do sleep 0.02; done`;
      writeFileSync(config, JSON.stringify({ name: 'b', jobs: [{ name: 'j', params: {}, execution: { command } }] }));
      const started = Array.from({ length: 6 }, () => startCli(['run', ...quickRun, '-c', config, '--batches-data-dir', data]));
      const ended: CliResult[] = [];
      for (const run of started) void run.done.then((result) => ended.push(result));
      await waitFor(() => ended.length >= 5, 'all runs but one to give up', 30_000);
      writeFileSync(gate, '');
      const runs = await Promise.all(started.map((run) => run.done));
      const won = runs.filter((run) => run.code === 0);
      expect(won, runs.map((run) => run.stderr).join('\n')).toHaveLength(1);
      for (const run of runs.filter((r) => r.code !== 0)) expect(run.stderr).toMatch(/is already running|is being started by another process|has ended/);
      expect(readFileSync(join(dir, 'log'), 'utf8').trim().split('\n')).toHaveLength(1);
      // Nothing of the takeover is left behind.
      expect(readdirSync(join(data, 'b')).filter((name) => name.startsWith('runner.json'))).toEqual([]);
    }
  });
});
