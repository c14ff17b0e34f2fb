import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { quickRun, runCli, startCli } from '../helpers/cli.js';
import { childPids, fileContains, isRunning, inputBytesWaiting, waitFor } from '../helpers/processes.js';
import { tempDir } from '../helpers/tmp.js';

/** A batch of `count` jobs that log their start and pid into `log`, then sleep long — short once `dir/fast` exists. */
function sleepyBatch(dir: string, count: number): string {
  const log = join(dir, 'log');
  const jobs = Array.from({ length: count }, (_, i) => ({
    name: `j${i}`,
    params: { i },
    execution: { command: `echo "$HYPERCTL_JOB_NAME $$" >> ${log}; if [ -e ${join(dir, 'fast')} ]; then sleep 0.1; else sleep 300; fi` },
  }));
  const file = join(dir, 'b.json');
  writeFileSync(file, JSON.stringify({ name: 'b', jobs }));
  return file;
}

const started = (dir: string) =>
  readFileSync(join(dir, 'log'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split(' ') as [string, string]);

describe('the process starter and a runner killed with SIGKILL', () => {
  it('starts none of the jobs still waiting in its pipe once the runner is gone, so a re-run runs each job once', async () => {
    const dir = tempDir();
    const args = ['run', ...quickRun, '-c', sleepyBatch(dir, 3), '-p', '1', '--kill-grace', '1', '--batches-data-dir', join(dir, 'data')];
    const runner = startCli(args);
    await waitFor(() => fileContains(join(dir, 'log'), 'j0'), 'the first job to start');
    const [starter] = childPids(runner.child.pid!, 'python3');
    expect(starter).toBeDefined();
    process.kill(starter!, 'SIGSTOP');
    try {
      const update = await runCli(['batch', 'update', 'b', '-p', '3', '--batches-data-dir', join(dir, 'data')]);
      expect(update.code, update.stderr).toBe(0);
      await waitFor(() => inputBytesWaiting(starter!) > 0, 'start requests to wait in the stopped starter');
      runner.child.kill('SIGKILL');
      await runner.done;
    } finally {
      process.kill(starter!, 'SIGCONT');
    }
    await waitFor(() => !isRunning(starter!), 'the starter to end');
    expect(started(dir).map(([job]) => job)).toEqual(['j0']);
    writeFileSync(join(dir, 'fast'), '');
    const again = await runCli(args);
    expect(again.code, again.stderr).toBe(0);
    expect(
      started(dir)
        .map(([job]) => job)
        .sort(),
    ).toEqual(['j0', 'j0', 'j1', 'j2']);
  });

  it('a re-run ends a job process an earlier runner started but never recorded, before the job runs again', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    const config = join(dir, 'b.json');
    const leftover = join(dir, 'leftover.pid');
    writeFileSync(
      config,
      JSON.stringify({
        name: 'b',
        jobs: [{ name: 'j0', params: {}, execution: { command: `kill -0 $(cat ${leftover}) 2>/dev/null && echo alive || echo gone` } }],
      }),
    );
    // As the starter would have started it: a session of its own, with the job's variables.
    const copy = spawn('sh', ['-c', `echo $$ > ${leftover}; exec sleep 300`], {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, HYPERCTL_BATCH_NAME: 'b', HYPERCTL_JOB_DATA_DIR: join(data, 'b', 'j0') },
    });
    await waitFor(() => existsSync(leftover) && isRunning(copy.pid!), 'the earlier copy to run');
    const run = await runCli(['run', ...quickRun, '-c', config, '--kill-grace', '1', '--batches-data-dir', data]);
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(data, 'b', 'j0', 'stdout'), 'utf8')).toBe('gone\n');
    expect(isRunning(copy.pid!)).toBe(false);
  });
});
