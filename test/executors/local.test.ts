import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalExecutor } from '../../src/executors/local.js';
import type { JobLaunch } from '../../src/executors/executor.js';
import { ProcessStarter } from '../../src/executors/process-starter.js';
import { processStartTicks } from '../../src/store/process-identity.js';
import { isRunning } from '../helpers/processes.js';
import { tempDir } from '../helpers/tmp.js';

const opened: LocalExecutor[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((executor) => executor.close()));
});

function executor(starter: 'auto' | 'node', killGraceMs = 5000): LocalExecutor {
  const made = new LocalExecutor({ slots: 2, starter, killGraceMs });
  opened.push(made);
  return made;
}

function launch(dir: string, command: string, more: Partial<JobLaunch> = {}): JobLaunch {
  return {
    name: 'job',
    batchName: 'batch',
    command,
    params: {},
    workingDir: dir,
    dataDir: dir,
    env: { HYPERCTL_JOB_NAME: 'job', HYPERCTL_BATCH_NAME: 'batch', HYPERCTL_JOB_DATA_DIR: dir, SPACED: 'a b\n"c"' },
    stdoutPath: join(dir, 'stdout'),
    stderrPath: join(dir, 'stderr'),
    ...more,
  };
}

const never = new AbortController().signal;

describe.each(['auto', 'node'] as const)('a local job started by %s', (starter) => {
  it('runs sh -c in its working folder with the run environment and its own variables, output into its files', async () => {
    const dir = tempDir();
    const exit = await executor(starter).run(launch(dir, 'pwd; printf "%s|" "$SPACED" "$HYPERCTL_JOB_NAME" "$PATH"; echo oops >&2; exit 3'), never);
    expect(exit).toEqual({ outcome: 'exited', exitCode: 3, signal: null });
    expect(readFileSync(join(dir, 'stdout'), 'utf8')).toBe(`${dir}\na b\n"c"|job|${process.env.PATH}|`);
    expect(readFileSync(join(dir, 'stderr'), 'utf8')).toBe('oops\n');
  });

  it('leads a session of its own, with stdin closed, no signal ignored and none blocked, and is identified as it runs', async () => {
    const dir = tempDir();
    let spawned: { pid?: number; startTicks?: number | null } = {};
    let ticksSeen: number | null = null;
    const exit = await executor(starter).run(
      // The shell reads its own status with builtins: while it forks a command (dash uses vfork) it blocks every signal.
      launch(dir, 'ps -o pid=,pgid=,sid= -p $$; while read -r l; do case $l in SigBlk*|SigIgn*) echo "$l";; esac; done < /proc/$$/status; cat; sleep 0.2', {
        onSpawn: (process) => {
          spawned = process;
          ticksSeen = processStartTicks(process.pid!);
        },
      }),
      never,
    );
    expect(exit).toMatchObject({ outcome: 'exited', exitCode: 0 });
    const [ids, blocked, ignored] = readFileSync(join(dir, 'stdout'), 'utf8').trim().split('\n');
    expect(ids!.trim().split(/\s+/).map(Number)).toEqual([spawned.pid, spawned.pid, spawned.pid]);
    // Standard signals only: glibc's posix_spawn leaves its two reserved real-time signals (32, 33) ignored, which glibc programs reset.
    expect(BigInt(`0x${ignored!.split('\t')[1]}`) & 0x7fff_ffffn).toBe(0n);
    expect(blocked).toBe('SigBlk:\t0000000000000000');
    expect(spawned.startTicks).toBe(ticksSeen);
  });

  it('ends what the job left in its process group when it ends, and says so; what left the group is its own', async () => {
    const dir = tempDir();
    const exit = await executor(starter, 1000).run(
      // The setsid child writes its pid once it has its own session: until then it is still in the job's group.
      launch(
        dir,
        `sleep 300 & echo $! > ${join(dir, 'left')}; setsid sh -c 'echo $$ > ${join(dir, 'gone')}; exec sleep 300' & while [ ! -s ${join(dir, 'gone')} ]; do sleep 0.01; done; exit 0`,
      ),
      never,
    );
    expect(exit).toEqual({ outcome: 'exited', exitCode: 0, signal: null });
    const [left, gone] = ['left', 'gone'].map((name) => Number(readFileSync(join(dir, name), 'utf8')));
    try {
      expect(isRunning(left!)).toBe(false);
      expect(isRunning(gone!)).toBe(true);
      expect(readFileSync(join(dir, 'stderr'), 'utf8')).toBe('hyperctl: the job ended; 1 process it left in its process group was ended\n');
    } finally {
      process.kill(gone!, 'SIGKILL');
    }
  });

  it('reports the signal that ended it', async () => {
    const exit = await executor(starter).run(launch(tempDir(), 'kill -USR1 $$'), never);
    expect(exit).toEqual({ outcome: 'exited', exitCode: null, signal: 'SIGUSR1' });
  });

  it('on abort ends its whole group, SIGKILL after the grace period, and says it was killed', async () => {
    const dir = tempDir();
    const abort = new AbortController();
    const exit = executor(starter, 300).run(
      launch(dir, 'trap "" TERM; sleep 30 & echo started; wait', { onSpawn: () => setTimeout(() => abort.abort(), 100) }),
      abort.signal,
    );
    expect(await exit).toEqual({ outcome: 'killed', exitCode: null, signal: 'SIGKILL' });
  });

  it('fails with the reason when it cannot start', async () => {
    const exit = await executor(starter).run(launch(tempDir(), 'true', { workingDir: '/nonexistent/folder' }), never);
    expect(exit).toMatchObject({ outcome: 'failed', exitCode: null, reason: expect.stringMatching(/^cannot start: /) });
    if (starter === 'auto') expect(exit).toMatchObject({ reason: 'cannot start: working directory /nonexistent/folder: No such file or directory' });
  });
});

describe('the process starter', () => {
  it('is not used where its interpreter cannot run', async () => {
    expect(await ProcessStarter.open(process.env, { interpreter: '/nonexistent/python3' })).toBeUndefined();
    expect(await ProcessStarter.open(process.env, { interpreter: 'false' })).toBeUndefined();
  });

  it('starts many jobs at once and tells their ends apart', async () => {
    const starter = (await ProcessStarter.open(process.env))!;
    const dir = tempDir();
    try {
      const jobs = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          starter.start({ command: `exit ${i}`, cwd: dir, env: {}, stdoutPath: join(dir, `${i}.out`), stderrPath: '/dev/null' }),
        ),
      );
      expect(await Promise.all(jobs.map((job) => job.end))).toEqual(Array.from({ length: 40 }, (_, i) => ({ code: i, signal: null })));
    } finally {
      await starter.close();
    }
  });

  // Killed by the job itself at once: before or after it told of the start, the outcome is the same.
  it('when it is killed under a running job, reports that job lost once the job has ended, and a new one starts the next job', async () => {
    const local = executor('auto');
    const dir = tempDir();
    const exit = await local.run(launch(dir, 'kill -KILL $PPID; sleep 0.3; echo done; exit 5'), never);
    expect(exit).toEqual({ outcome: 'lost', reason: 'the process starter ended' });
    expect(readFileSync(join(dir, 'stdout'), 'utf8')).toBe('done\n');
    expect(await local.run(launch(dir, 'exit 4'), never)).toEqual({ outcome: 'exited', exitCode: 4, signal: null });
  });
});
