import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { capacityOf, parseProbe, probeOutput } from '../../src/executors/capacity-probe.js';
import type { GpuPolicyConfig } from '../../src/index.js';
import { fixturesDir, quickRun, runCli, startCli } from '../helpers/cli.js';
import { fileContains, waitFor } from '../helpers/processes.js';
import { tempDir } from '../helpers/tmp.js';

const uuid0 = 'GPU-6e4c1a52-8f1e-2b7d-93a0-0c1d2e3f4a5b';
const uuid1 = 'GPU-b03f9d7e-4c2a-11e9-8d6f-7a8b9c0d1e2f';

/** What the capacity probe prints on a machine with two GPUs, someone else's process on GPU 1. */
const probe = (...leases: string[]) =>
  [
    '8',
    '32768000',
    `gpu, 0, ${uuid0}, 16384, 3, Tesla T4`,
    `gpu, 1, ${uuid1}, 16384, 14926, Tesla T4`,
    `app, ${uuid1}, 4242, 14800, python train.py, from another user`,
    ...leases,
    '',
  ].join('\n');

describe("reading a machine's GPUs", () => {
  it('reads CPUs, memory, each GPU with its UUID and memory, and the processes no lease accounts for', () => {
    const machine = parseProbe(probe(`lease, gpu-${uuid0}, 1000, batch a · job j0 · user u · since t`));
    expect(machine).toMatchObject({ cpu: 8, ram: 32000 });
    expect(machine.gpus).toEqual([
      {
        index: 0,
        uuid: uuid0,
        name: 'Tesla T4',
        memoryMb: 16384,
        memoryUsedMb: 3,
        leases: [{ share: 1000, holder: 'batch a · job j0 · user u · since t' }],
        foreign: [],
      },
      {
        index: 1,
        uuid: uuid1,
        name: 'Tesla T4',
        memoryMb: 16384,
        memoryUsedMb: 14926,
        leases: [],
        foreign: [{ pid: 4242, name: 'python train.py, from another user', memoryMb: 14800 }],
      },
    ]);
    expect(parseProbe('2\n2048000\n')).toEqual({ cpu: 2, ram: 2000, gpus: [] });
  });

  it("counts a leased GPU's processes as hyperctl's, shares included", () => {
    const machine = parseProbe(probe(`lease, gpu-${uuid1}, 500, batch b · job j3`, `lease, gpu-${uuid1}, 250, batch c · job j1`));
    expect(machine.gpus[1]).toMatchObject({ leases: [{ share: 500 }, { share: 250 }], foreign: [] });
  });

  it('leaves out GPUs others use as gpu_policy says: avoid them, ignore them, or keep those with enough free memory', () => {
    const machine = parseProbe(probe());
    const gpus = (policy?: GpuPolicyConfig) => capacityOf(machine, policy ? { gpu_policy: policy } : undefined);
    expect(gpus()).toMatchObject({
      gpus: [0],
      gpuUuids: { 0: uuid0, 1: uuid1 },
      notes: ['GPU 1 left out (capacity.gpu_policy): in use by pid 4242 (python train.py, from another user), not a hyperctl job'],
    });
    expect(gpus('ignore').gpus).toEqual([0, 1]);
    expect(gpus({ min_free_mb: 1000 }).gpus).toEqual([0, 1]);
    expect(gpus({ min_free_mb: 2000 })).toMatchObject({ gpus: [0], notes: ['GPU 1 left out (capacity.gpu_policy): 1458 MB free, less than min_free_mb 2000'] });
  });
});

/** A batch of `count` one-GPU jobs logging their GPUs, with `policy`. */
function batch(dir: string, name: string, count: number, seconds: number, policy?: GpuPolicyConfig): string {
  const log = join(dir, 'log');
  const jobs = Array.from({ length: count }, (_, i) => ({
    name: `j${i}`,
    params: { i },
    resource: { gpu: 1 },
    execution: { command: `echo "$HYPERCTL_JOB_NAME $CUDA_VISIBLE_DEVICES" >> ${log}; sleep ${seconds}` },
  }));
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ name, jobs, backend: { type: 'local', conf: policy ? { capacity: { gpu_policy: policy } } : {} } }));
  return file;
}

const withFakeGpus = (dir: string) => ({ PATH: `${join(fixturesDir, 'fake-gpus')}:${process.env.PATH}`, HYPERCTL_LOCK_DIR: join(dir, 'locks') });
const gpusUsed = (dir: string) =>
  new Set(
    readFileSync(join(dir, 'log'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split(' ')[1]),
  );

describe('GPUs others use, with nvidia-smi answering', () => {
  it('are avoided by default, with a warning that says why; used when the policy ignores them', async () => {
    const dir = tempDir();
    const avoided = await runCli(['run', ...quickRun, '-c', batch(dir, 'a', 4, 0), '--batches-data-dir', join(dir, 'data')], { env: withFakeGpus(dir) });
    expect(avoided.code, avoided.stderr).toBe(0);
    expect(avoided.stderr).toContain('GPU 1 left out (capacity.gpu_policy): in use by pid 4242');
    expect(gpusUsed(dir)).toEqual(new Set(['0']));
    const other = tempDir();
    const ignored = await runCli(['run', ...quickRun, '-c', batch(other, 'b', 4, 0.2, 'ignore'), '--batches-data-dir', join(other, 'data')], {
      env: withFakeGpus(other),
    });
    expect(ignored.code, ignored.stderr).toBe(0);
    expect(gpusUsed(other)).toEqual(new Set(['0', '1']));
  });

  it('hyperctl gpus shows each GPU with its UUID, the lease a running job holds, and the processes of others', async () => {
    const dir = tempDir();
    const env = withFakeGpus(dir);
    const running = startCli(['run', ...quickRun, '-c', batch(dir, 'a', 1, 60), '--batches-data-dir', join(dir, 'data')], { env });
    try {
      await waitFor(() => fileContains(join(dir, 'log'), 'j0'), 'the job to start');
      const json = await runCli(['gpus', '--json'], { env });
      expect(json.code, json.stderr).toBe(0);
      const [local] = JSON.parse(json.stdout);
      expect(local.host).toBe('local');
      expect(local.gpus[0]).toMatchObject({
        index: 0,
        uuid: uuid0,
        leases: [{ share: 1000, holder: expect.stringMatching(/^batch a · job j0 · user \S+ · since \d{4}-/) }],
      });
      expect(local.gpus[1]).toMatchObject({ index: 1, uuid: uuid1, leases: [], foreign: [{ pid: 4242, memoryMb: 14800 }] });
      const table = await runCli(['gpus'], { env });
      expect(table.stdout).toMatch(/^MACHINE +GPU +UUID +MEMORY +LEASES +OTHERS$/m);
      expect(table.stdout).toMatch(new RegExp(`^local +0 +${uuid0} +3/16384 MB +batch a · job j0`, 'm'));
      expect(table.stdout).toContain('pid 4242 python train.py, from another user (14800 MB)');
    } finally {
      running.child.kill('SIGINT');
      await running.done;
    }
  });
});

/** Whether this machine has GPUs nvidia-smi can see; the test below then checks the real thing. */
const realGpus = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8' });
const noRealGpu = realGpus.status === 0 && realGpus.stdout.includes('UUID') ? undefined : 'no GPU on this machine (nvidia-smi -L lists none)';

describe("this machine's own GPUs, where it has some", () => {
  it('are read with the UUIDs nvidia-smi -L lists', async ({ skip }) => {
    if (noRealGpu) return skip(noRealGpu);
    const listed = [...realGpus.stdout.matchAll(/UUID: (GPU-[0-9a-f-]+)/g)].map((m) => m[1]);
    const result = await runCli(['gpus', '--json'], { env: { HYPERCTL_LOCK_DIR: join(tempDir(), 'locks') } });
    const [local] = JSON.parse(result.stdout);
    expect(local.gpus.map((gpu: { uuid: string }) => gpu.uuid)).toEqual(listed);
  });
});

describe('a capacity probe that failed', () => {
  it('is said as such, with what it said, never read as a machine of 1 CPU and no memory', () => {
    expect(() => probeOutput({ text: '', code: 127, said: 'sh: 1: nproc: Permission denied\n' })).toThrow(
      'probe failed: exit 127: sh: 1: nproc: Permission denied',
    );
    expect(() => probeOutput({ text: 'oops\n', code: 0, said: '' })).toThrow('probe failed: it printed "oops\\n", not a CPU count and memory size');
    expect(() => probeOutput({ text: '8\n', code: null, signal: 'SIGKILL', said: '' })).toThrow('probe failed: it was ended by SIGKILL');
    expect(() => probeOutput({ text: '8\n', code: null, said: '' })).toThrow('probe failed: it told no exit status');
    expect(probeOutput({ text: '8\n16000000\n', code: 0, said: '' })).toBe('8\n16000000\n');
  });
});
