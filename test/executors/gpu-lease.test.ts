import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type GpuLease, leaseBusyStatus, leaseScript } from '../../src/executors/gpu-lease.js';
import { type BatchConfig, runBatch } from '../../src/index.js';
import { quickRun, runCli, startCli } from '../helpers/cli.js';
import { fileContains, isRunning, waitFor } from '../helpers/processes.js';
import { sshUnavailable, testUser, useSharedSshd } from '../helpers/sshd.js';
import { tempDir } from '../helpers/tmp.js';

/** Runs a lease wrapper around `command` with `sh`; its exit status and what it printed (`ACQ` once the lease is taken). */
function leased(lease: GpuLease, command: string, env: NodeJS.ProcessEnv = {}, user?: { uid: number; gid: number }) {
  const child = spawn('/bin/sh', ['-c', leaseScript(lease, 'echo ACQ', command)], { env: { ...process.env, ...env }, detached: true, ...user });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk));
  const done = new Promise<{ code: number | null; out: string }>((resolve) => child.on('close', (code) => resolve({ code, out: out.trim() })));
  const acquired = () => waitFor(() => out.includes('ACQ'), 'the lease to be taken');
  return { child, done, acquired };
}

/** True while a job holds a lease on GPU `key` in `lockDir`: a claim naming it that the kernel lists a lock on. */
function held(lockDir: string, key: string): boolean {
  const locked = new Set(
    readFileSync('/proc/locks', 'utf8')
      .split('\n')
      .map((line) => line.split(/\s+/)[5]?.split(':')[2]),
  );
  return readdirSync(lockDir)
    .filter((name) => name.startsWith('claim.') && name.split('.')[2]!.split(',').includes(key))
    .some((name) => locked.has(String(statSync(join(lockDir, name)).ino)));
}

describe('a GPU lease taken by the job on its machine', () => {
  it('is all or nothing: a GPU held elsewhere refuses the job (exit 75, nothing run) and gives back the others', async () => {
    const lockDir = tempDir();
    const whole = (keys: string[]): GpuLease => ({ keys, share: 1000, holder: 'batch a · job j', lockDir });
    const first = leased(whole(['g1']), 'sleep 30');
    await first.acquired();
    expect(await leased(whole(['g0', 'g1']), 'echo ran').done).toEqual({ code: leaseBusyStatus, out: '' });
    expect(held(lockDir, 'g0')).toBe(false);
    // Who holds it, in the holder's own claim file; the refused job's claim is gone.
    const claims = readdirSync(lockDir).filter((name) => name.startsWith('claim.'));
    expect(claims.map((name) => [name.replace(/\.[^.]+$/, ''), readFileSync(join(lockDir, name), 'utf8')])).toEqual([['claim.1000.g1', 'batch a · job j\n']]);
    // The job's own exit status 75 is the job's: the lease was taken, the job ran.
    expect(await leased(whole(['g0']), 'exit 75').done).toEqual({ code: 75, out: 'ACQ' });
    process.kill(-first.child.pid!, 'SIGKILL');
    await waitFor(() => !held(lockDir, 'g1'), 'the killed job to let go of g1');
    expect(await leased(whole(['g0', 'g1']), 'echo ran').done).toEqual({ code: 0, out: 'ACQ\nran' });
  });

  it("is respected across users: one user's lease keeps another's job off the GPU, in one folder both can use", async ({ skip }) => {
    const noUser = sshUnavailable();
    if (noUser) return skip(noUser);
    const user = {
      uid: Number(execFileSync('id', ['-u', testUser.name], { encoding: 'utf8' })),
      gid: Number(execFileSync('id', ['-g', testUser.name], { encoding: 'utf8' })),
    };
    const parent = tempDir();
    chmodSync(parent, 0o755);
    const lockDir = join(parent, 'locks');
    const whole = (key: string): GpuLease => ({ keys: [key], share: 1000, holder: 'h', lockDir });
    const mine = leased(whole('g0'), 'sleep 30');
    await mine.acquired();
    expect((statSync(lockDir).mode & 0o7777).toString(8)).toBe('1777');
    expect((await leased(whole('g0'), 'echo ran', {}, user).done).code).toBe(leaseBusyStatus);
    const theirs = leased(whole('g1'), 'sleep 30', {}, user);
    await theirs.acquired();
    expect((await leased(whole('g1'), 'echo ran').done).code).toBe(leaseBusyStatus);
    for (const job of [mine, theirs]) process.kill(-job.child.pid!, 'SIGKILL');
    await Promise.all([mine.done, theirs.done]);
    // Their files, in the sticky folder, serve everyone once free.
    expect(await leased(whole('g1'), 'echo ran').done).toEqual({ code: 0, out: 'ACQ\nran' });
    expect(await leased(whole('g0'), 'echo ran', {}, user).done).toEqual({ code: 0, out: 'ACQ\nran' });
  });

  it('adds shares of one GPU up to one, counts no share of a job that died, and keeps a whole-GPU job out meanwhile', async () => {
    const lockDir = tempDir();
    const share = (n: number): GpuLease => ({ keys: ['g0'], share: n, holder: 'h', lockDir });
    const a = leased(share(500), 'sleep 30');
    await a.acquired();
    const b = leased(share(300), 'sleep 30');
    await b.acquired();
    expect((await leased(share(300), 'echo ran').done).code).toBe(leaseBusyStatus);
    expect((await leased({ ...share(1000) }, 'echo ran').done).code).toBe(leaseBusyStatus);
    expect(await leased(share(200), 'echo fits').done).toEqual({ code: 0, out: 'ACQ\nfits' });
    process.kill(-a.child.pid!, 'SIGKILL');
    await a.done;
    // The dead job's share file is still there, held by nobody: it no longer counts.
    expect(await leased(share(700), 'echo fits').done).toEqual({ code: 0, out: 'ACQ\nfits' });
    process.kill(-b.child.pid!, 'SIGKILL');
    await b.done;
    expect(await leased(share(1000), 'echo whole').done).toEqual({ code: 0, out: 'ACQ\nwhole' });
  });

  it('is held for the job whatever descriptors the job closes or reuses (fd 9 is a common one to lock with)', async () => {
    const lockDir = tempDir();
    const lease: GpuLease = { keys: ['g0'], share: 1000, holder: 'h', lockDir };
    const job = leased(lease, `exec 9>&-; exec 9>${join(lockDir, 'mine.lock')}; flock 9; sleep 30`);
    await job.acquired();
    await waitFor(() => existsSync(join(lockDir, 'mine.lock')), 'the job to lock a file of its own on fd 9');
    expect((await leased(lease, 'echo ran').done).code).toBe(leaseBusyStatus);
    process.kill(-job.child.pid!, 'SIGKILL');
    await job.done;
  });

  it('is listed by hyperctl gpus on a machine without nvidia-smi, control characters made harmless', async () => {
    const lockDir = tempDir();
    chmodSync(lockDir, 0o1777);
    const job = leased({ keys: ['index-1'], share: 1000, holder: 'batch a · job \x1b[2Jj', lockDir }, 'sleep 30');
    await job.acquired();
    const gpus = await runCli(['gpus', '--json'], { env: { HYPERCTL_LOCK_DIR: lockDir } });
    process.kill(-job.child.pid!, 'SIGKILL');
    await job.done;
    expect(gpus.code, gpus.stderr).toBe(0);
    expect(JSON.parse(gpus.stdout)[0].gpus).toEqual([{ index: 1, leases: [{ share: 1000, holder: 'batch a · job ?[2Jj' }], foreign: [] }]);
  });

  it('without flock, marks GPUs by mkdir with the holder pid, and takes over the mark of a dead holder', async () => {
    const lockDir = tempDir();
    // A PATH with a shell and the tools the script uses, but no flock.
    const bin = tempDir();
    for (const tool of ['sh', 'mkdir', 'rm', 'cat', 'sleep', 'echo', 'chmod', 'env', 'kill', 'printf', 'id', 'ls', 'dirname', 'find']) {
      const path = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
      if (path.startsWith('/')) spawnSync('ln', ['-s', path, join(bin, tool)]);
    }
    const lease: GpuLease = { keys: ['g0'], share: 1000, holder: 'h', lockDir };
    const first = leased(lease, 'sleep 30', { PATH: bin });
    await first.acquired();
    expect((await leased(lease, 'echo ran', { PATH: bin }).done).code).toBe(leaseBusyStatus);
    // As a kill reaches a job: its whole process group; the wrapper gives the mark back on its way out.
    process.kill(-first.child.pid!, 'SIGTERM');
    await first.done;
    expect(await leased(lease, 'echo ran', { PATH: bin }).done).toEqual({ code: 0, out: 'ACQ\nran' });
    // A mark left by a holder that is gone (as after a kill -9) blocks nothing.
    mkdirSync(join(lockDir, 'mark.g0'));
    writeFileSync(join(lockDir, 'mark.g0', 'pid.999999999'), '');
    expect(await leased(lease, 'echo ran', { PATH: bin }).done).toEqual({ code: 0, out: 'ACQ\nran' });
  });
});

/** A batch of `count` jobs, each taking `gpu`, logging its start and end (ns) and its GPUs into `log`. */
function gpuBatch(dir: string, name: string, count: number, gpu: number, gpus: number, seconds = 0.3): string {
  const log = join(dir, 'log');
  const line = (what: string) => `echo "${name}/$HYPERCTL_JOB_NAME ${what} $(date +%s%N) $CUDA_VISIBLE_DEVICES $CUDA_DEVICE_ORDER" >> ${log}`;
  const jobs = Array.from({ length: count }, (_, i) => ({
    name: `j${i}`,
    params: { i },
    resource: { gpu },
    execution: { command: `${line('start')}; sleep ${seconds}; ${line('end')}` },
  }));
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ name, jobs, backend: { type: 'local', conf: { capacity: { gpu: gpus, cpu: 64, ram: 100_000 } } } }));
  return file;
}

interface Interval {
  readonly job: string;
  readonly gpu: string;
  readonly start: number;
  readonly end: number;
}

function intervals(log: string): Interval[] {
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  const starts = new Map<string, { at: number; gpu: string }>();
  const out: Interval[] = [];
  for (const line of lines) {
    const [job, what, at, gpu = ''] = line.split(' ');
    if (what === 'start') starts.set(job!, { at: Number(at), gpu });
    else out.push({ job: job!, gpu, start: starts.get(job!)!.at, end: Number(at) });
  }
  return out;
}

/** The most jobs on one GPU at any instant. */
function mostAtOnce(all: readonly Interval[], gpu: string): number {
  const events = all
    .filter((i) => i.gpu === gpu)
    .flatMap((i) => [
      [i.start, 1],
      [i.end, -1],
    ])
    .sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let now = 0;
  let most = 0;
  for (const [, step] of events) {
    now += step!;
    most = Math.max(most, now);
  }
  return most;
}

/** Two runs of the built CLI at once, `count` jobs each of `gpu` on a machine of `gpus`; both must succeed. What their jobs logged. */
async function twoRuns(dir: string, count: number, gpu: number, gpus: number): Promise<Interval[]> {
  const env = { HYPERCTL_LOCK_DIR: join(dir, 'locks') };
  const runs = ['a', 'b'].map((name) =>
    runCli(['run', ...quickRun, '-c', gpuBatch(dir, name, count, gpu, gpus), '--batches-data-dir', join(dir, 'data')], { env }),
  );
  for (const result of await Promise.all(runs)) expect(result.code, result.stderr).toBe(0);
  return intervals(join(dir, 'log'));
}

describe('two independent runs on one machine', () => {
  it('never put two jobs on one GPU at once, and both finish', async () => {
    const dir = tempDir();
    const all = await twoRuns(dir, 4, 1, 2);
    expect(all).toHaveLength(8);
    expect(new Set(all.map((i) => i.gpu))).toEqual(new Set(['0', '1']));
    expect(mostAtOnce(all, '0')).toBe(1);
    expect(mostAtOnce(all, '1')).toBe(1);
    // CUDA numbers GPUs as nvidia-smi does, so the index given is the GPU used.
    expect(readFileSync(join(dir, 'log'), 'utf8')).toContain(' PCI_BUS_ID');
  });

  it('share a GPU in halves: never more than two half-GPU jobs on it', async () => {
    const all = await twoRuns(tempDir(), 3, 0.5, 1);
    expect(all).toHaveLength(6);
    expect(mostAtOnce(all, '0')).toBe(2);
  });

  it('let go of the GPUs at once when a runner is killed with SIGKILL: its jobs end with it', async () => {
    const dir = tempDir();
    const locks = join(dir, 'locks');
    const running = startCli(['run', ...quickRun, '-c', gpuBatch(dir, 'a', 1, 1, 1, 60), '--batches-data-dir', join(dir, 'data')], {
      env: { HYPERCTL_LOCK_DIR: locks },
    });
    await waitFor(() => fileContains(join(dir, 'log'), 'start'), 'the job to start');
    expect(held(locks, 'index-0')).toBe(true);
    // Another run's job waits for the GPU, and says why once.
    const next = startCli(['run', ...quickRun, '-c', gpuBatch(dir, 'b', 1, 1, 1), '--batches-data-dir', join(dir, 'data')], {
      env: { HYPERCTL_LOCK_DIR: locks },
    });
    let said = '';
    next.child.stderr!.on('data', (chunk: Buffer) => (said += chunk));
    await waitFor(() => said.includes('GPU 0 held by another run'), 'the waiting run to say why');
    running.child.kill('SIGKILL');
    await running.done;
    await waitFor(() => !held(locks, 'index-0'), 'the lease to be let go', 5000);
    // Its lock folder is stale now, and blocks nothing: the waiting run takes the GPU.
    const result = await next.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.match(/held by another run/g)).toHaveLength(1);
    expect(isRunning(running.child.pid!)).toBe(false);
  });
});

describe('two independent runs on one SSH machine', () => {
  const sshd = useSharedSshd('hyperctl-gpu-');

  it('never put two jobs on one of its GPUs at once, and both finish', async ({ skip }) => {
    if (sshd.skipReason) return skip(sshd.skipReason);
    const { host, key, knownHosts } = sshd;
    // The machine is this one: its folders are the test user's, the log and the lock folder among them.
    const machineDir = `/home/${testUser.name}/hyperctl-gpu-${randomBytes(4).toString('hex')}`;
    mkdirSync(machineDir, { recursive: true });
    execFileSync('chown', [`${testUser.name}:`, machineDir]);
    try {
      const log = join(machineDir, 'log');
      const line = (what: string) => `echo "$HYPERCTL_BATCH_NAME/$HYPERCTL_JOB_NAME ${what} $(date +%s%N) $CUDA_VISIBLE_DEVICES" >> ${log}`;
      const config = (name: string): BatchConfig => ({
        name,
        jobs: Array.from({ length: 4 }, (_, i) => ({
          name: `j${i}`,
          params: { i },
          resource: { gpu: 1 },
          execution: { command: `${line('start')}; sleep 0.3; ${line('end')}` },
        })),
        backend: {
          type: 'remote',
          conf: {
            machines: [
              { hostname: host.address, port: host.port, username: testUser.name, ssh_rsa_file: key, data_dir: `${machineDir}/data`, capacity: { gpu: 2 } },
            ],
            known_hosts_file: knownHosts,
          },
        },
      });
      const root = tempDir();
      const options = { batchesDataDir: root, gpuLockDir: join(machineDir, 'locks') };
      const results = await Promise.all([runBatch(config('a'), options), runBatch(config('b'), options)]);
      expect(results.map((r) => r.status)).toEqual(['succeed', 'succeed']);
      const all = intervals(log);
      expect(all).toHaveLength(8);
      expect(mostAtOnce(all, '0')).toBe(1);
      expect(mostAtOnce(all, '1')).toBe(1);
      // The wrapper's line that the lease was taken is not the job's output.
      expect(readFileSync(join(root, 'a', 'j0', 'stdout'), 'utf8')).toBe('');
      // hyperctl gpus asks the config's machine over SSH: its two GPUs, free again.
      const file = join(root, 'a.json');
      writeFileSync(file, JSON.stringify(config('a')));
      const gpus = await runCli(['gpus', '-c', file, '-m', host.address, '--json'], { env: { HYPERCTL_LOCK_DIR: options.gpuLockDir } });
      expect(JSON.parse(gpus.stdout)).toEqual([
        {
          host: host.address,
          gpus: [
            { index: 0, leases: [], foreign: [] },
            { index: 1, leases: [], foreign: [] },
          ],
        },
      ]);
    } finally {
      rmSync(machineDir, { recursive: true, force: true });
    }
  });
});
