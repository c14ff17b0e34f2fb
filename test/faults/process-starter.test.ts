import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
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

/** A batch of `count` jobs, each logging its start, then running `command`. */
function batchOf(dir: string, count: number, command: string): string {
  const jobs = Array.from({ length: count }, (_, i) => ({
    name: `j${i}`,
    params: { i },
    execution: { command: `echo "$HYPERCTL_JOB_NAME $$" >> ${join(dir, 'log')}; ${command}` },
  }));
  const file = join(dir, 'b.json');
  writeFileSync(file, JSON.stringify({ name: 'b', jobs }));
  return file;
}

const statuses = async (dir: string) => {
  const list = await runCli(['job', 'list', '-b', 'b', '--json', '--batches-data-dir', join(dir, 'data')]);
  return Object.fromEntries(
    (JSON.parse(list.stdout) as { name: string; status: string; exitCode?: number }[]).map((job) => [job.name, [job.status, job.exitCode]]),
  );
};

/** A folder with a `python3` that is `script` (a shell script), for the PATH. */
function fakePython(script: string): string {
  const bin = tempDir();
  writeFileSync(join(bin, 'python3'), `#!/bin/sh\n${script}\n`);
  chmodSync(join(bin, 'python3'), 0o755);
  return bin;
}

const realPython = () => execFileSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8' }).trim();

describe('the process starter dying or stalling', () => {
  it('killed under a running job: the job counts as lost and runs again, and the run succeeds', async () => {
    const dir = tempDir();
    const once = join(dir, 'once');
    const config = batchOf(dir, 1, `[ -e ${once} ] || { : > ${once}; kill -KILL $PPID; }; sleep 0.2`);
    const run = await runCli(['run', ...quickRun, '-c', config, '--batches-data-dir', join(dir, 'data')]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('the process starter ended');
    expect(started(dir).map(([job]) => job)).toEqual(['j0', 'j0']);
    expect(await statuses(dir)).toEqual({ j0: ['succeed', 0] });
  });

  it('stopped: once it does not answer it is replaced with one warning, and a job that ended meanwhile is recorded as it ended', async () => {
    const dir = tempDir();
    const config = batchOf(dir, 3, 'sleep 0.5; exit 0');
    const runner = startCli(['run', ...quickRun, '-c', config, '-p', '1', '--batches-data-dir', join(dir, 'data')]);
    await waitFor(() => fileContains(join(dir, 'log'), 'j0'), 'the first job to start');
    const [starter] = childPids(runner.child.pid!, 'python3');
    process.kill(starter!, 'SIGSTOP');
    try {
      const run = await runner.done;
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr.match(/did not answer/g)).toHaveLength(1);
      expect(await statuses(dir)).toEqual({ j0: ['succeed', 0], j1: ['succeed', 0], j2: ['succeed', 0] });
      expect(started(dir).map(([job]) => job)).toEqual(['j0', 'j1', 'j2']);
    } finally {
      if (isRunning(starter!)) process.kill(starter!, 'SIGCONT');
    }
  });

  it('stopped: Ctrl-C still ends the run and its job within the kill grace', async () => {
    const dir = tempDir();
    const runner = startCli(['run', ...quickRun, '-c', batchOf(dir, 1, 'sleep 300'), '--kill-grace', '1', '--batches-data-dir', join(dir, 'data')]);
    await waitFor(() => fileContains(join(dir, 'log'), 'j0'), 'the job to start');
    const [starter] = childPids(runner.child.pid!, 'python3');
    process.kill(starter!, 'SIGSTOP');
    try {
      runner.child.kill('SIGINT');
      let ended = false;
      void runner.done.then(() => (ended = true));
      await waitFor(() => ended, 'the run to end', 4000);
      const [[, pid]] = started(dir) as [[string, string]];
      expect(isRunning(Number(pid))).toBe(false);
      expect((await statuses(dir)).j0?.[0]).toBe('killed');
    } finally {
      if (isRunning(starter!)) process.kill(starter!, 'SIGCONT');
    }
  });

  it('a python3 that never answers: jobs start with Node after one warning; a SIGTERM meanwhile stops the run with no job started', async () => {
    const dir = tempDir();
    const bin = fakePython(`echo asked >> ${join(dir, 'asked')}; exec sleep 300`);
    const env = { PATH: `${bin}:${process.env.PATH}` };
    const run = await runCli(['run', ...quickRun, '-c', batchOf(dir, 2, 'true'), '--batches-data-dir', join(dir, 'data')], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr.match(/did not answer in 5 s: jobs start with Node's spawn/g)).toHaveLength(1);
    expect(readFileSync(join(dir, 'asked'), 'utf8')).toBe('asked\n');

    const other = tempDir();
    const stopped = startCli(['run', ...quickRun, '-c', batchOf(other, 2, 'true'), '--batches-data-dir', join(other, 'data')], {
      env: { PATH: `${fakePython(`echo asked >> ${join(other, 'asked')}; exec sleep 300`)}:${process.env.PATH}` },
    });
    await waitFor(() => existsSync(join(other, 'asked')), 'the starter to be asked for');
    stopped.child.kill('SIGTERM');
    let ended = false;
    void stopped.done.then(() => (ended = true));
    await waitFor(() => ended, 'the run to end', 3000);
    expect(existsSync(join(other, 'log'))).toBe(false);
  });

  it('where it cannot start a job in a session of its own, it is not used: one try, then Node starts every job', async () => {
    const dir = tempDir();
    // A Python whose posix_spawn has no setsid, as on a platform without POSIX_SPAWN_SETSID.
    const patch = [
      'import os, sys',
      'real = os.posix_spawn',
      'def spawn(*args, **kwargs):',
      "    if kwargs.get('setsid'): raise NotImplementedError('setsid')",
      '    return real(*args, **kwargs)',
      'os.posix_spawn = spawn',
      'exec(sys.argv[1])',
    ].join('\n');
    writeFileSync(join(dir, 'patch.py'), patch);
    const bin = fakePython(`echo asked >> ${join(dir, 'asked')}; exec ${realPython()} -I -S -X utf8 -c "$(cat ${join(dir, 'patch.py')})" "$6"`);
    const run = await runCli(['run', ...quickRun, '-c', batchOf(dir, 3, 'true'), '--batches-data-dir', join(dir, 'data')], {
      env: { PATH: `${bin}:${process.env.PATH}` },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(dir, 'asked'), 'utf8')).toBe('asked\n');
    expect(Object.values(await statuses(dir))).toEqual([
      ['succeed', 0],
      ['succeed', 0],
      ['succeed', 0],
    ]);
  });
});
