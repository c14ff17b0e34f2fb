import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isHyperctlError, runBatch, type BatchConfig, type BatchEvent, type JobConfig } from '../../src/index.js';
import { isRunning, readPids } from '../helpers/processes.js';
import { tempDir } from '../helpers/tmp.js';

/** A job that records `start end CUDA_VISIBLE_DEVICES HYPERCTL_GPUS` (times in ns) and takes `seconds`. */
function recorded(name: string, resource: JobConfig['resource'], seconds = 0.3): JobConfig {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell command, expanded by the job's shell
  const visible = '${CUDA_VISIBLE_DEVICES-unset} ${HYPERCTL_GPUS-unset}';
  return {
    name,
    params: {},
    ...(resource ? { resource } : {}),
    execution: { command: `s=$(date +%s%N); sleep ${seconds}; echo "$s $(date +%s%N) ${visible}"` },
  };
}

interface Span {
  readonly name: string;
  readonly start: number;
  readonly end: number;
  readonly gpus: string;
  /** What `HYPERCTL_GPUS` said. */
  readonly listed: string;
}

function spans(root: string, batch: string, names: readonly string[]): Span[] {
  return names.map((name) => {
    const [start, end, gpus, listed] = readFileSync(join(root, batch, name, 'stdout'), 'utf8')
      .replace(/\n$/, '')
      .split(' ');
    return { name, start: Number(start), end: Number(end), gpus: gpus!, listed: listed! };
  });
}

/** The spans running at the instant `span` started (itself included). */
function concurrentWith(all: readonly Span[], span: Span): Span[] {
  return all.filter((o) => o.start <= span.start && span.start < o.end);
}

function batch(name: string, jobs: JobConfig[], capacity: Record<string, unknown>, extra: Partial<BatchConfig> = {}): BatchConfig {
  return { name, jobs, backend: { type: 'local', conf: { capacity } }, ...extra };
}

describe('resource-aware scheduling', () => {
  it('runs one-GPU jobs four at a time on four GPUs, never two on one GPU', async () => {
    const root = tempDir();
    const names = Array.from({ length: 12 }, (_, i) => `g${i}`);
    const result = await runBatch(
      batch(
        'gpus',
        names.map((n) => recorded(n, { gpu: 1 })),
        { gpu: 4, cpu: 64 },
      ),
      { batchesDataDir: root },
    );
    expect(result.status).toBe('succeed');
    const all = spans(root, 'gpus', names);
    let most = 0;
    for (const span of all) {
      const now = concurrentWith(all, span);
      most = Math.max(most, now.length);
      expect(now.length, span.name).toBeLessThanOrEqual(4);
      expect(new Set(now.map((s) => s.gpus)).size, `GPUs in use when ${span.name} started`).toBe(now.length);
    }
    expect(most).toBe(4);
    for (const span of all) expect(span.gpus).toMatch(/^[0-3]$/);
    for (const span of all) expect(span.listed).toBe(span.gpus);
  });

  it('shares a GPU between jobs asking for a fraction of one', async () => {
    const root = tempDir();
    const names = Array.from({ length: 8 }, (_, i) => `h${i}`);
    await runBatch(
      batch(
        'halves',
        names.map((n) => recorded(n, { gpu: 0.5 }, 0.5)),
        { gpu: 2, cpu: 64 },
      ),
      { batchesDataDir: root },
    );
    const all = spans(root, 'halves', names);
    let most = 0;
    for (const span of all) {
      const now = concurrentWith(all, span);
      most = Math.max(most, now.length);
      for (const gpu of ['0', '1']) expect(now.filter((s) => s.gpus === gpu).length).toBeLessThanOrEqual(2);
    }
    expect(most).toBe(4);
  });

  it('fits jobs by CPU and memory; jobs without gpu see none, a job without resource takes the whole machine and sees all', async () => {
    const root = tempDir();
    const jobs = [
      recorded('c0', { cpu: 2, ram: 100 }),
      recorded('c1', { cpu: 2, ram: 100 }),
      recorded('c2', { cpu: 2, ram: 100 }),
      recorded('whole', undefined),
      recorded('m0', { cpu: 1, ram: 900 }),
      recorded('m1', { cpu: 1, ram: 900 }),
    ];
    const result = await runBatch(batch('cpus', jobs, { cpu: 4, ram: 1000, gpu: 2 }), { batchesDataDir: root });
    expect(result.status).toBe('succeed');
    const all = spans(
      root,
      'cpus',
      jobs.map((j) => j.name!),
    );
    const byName = new Map(all.map((s) => [s.name, s]));
    for (const span of all) {
      const now = concurrentWith(all, span);
      expect(
        now.reduce((sum, s) => sum + (s.name.startsWith('c') ? 2 : s.name.startsWith('m') ? 1 : 0), 0),
        span.name,
      ).toBeLessThanOrEqual(4);
      expect(now.filter((s) => s.name.startsWith('m')).length).toBeLessThanOrEqual(1);
    }
    const whole = byName.get('whole')!;
    expect(concurrentWith(all, whole)).toEqual([whole]);
    expect(all.filter((s) => s !== whole && s.start < whole.end && whole.start < s.end)).toEqual([]);
    expect(whole.gpus).toBe('unset');
    expect(whole.listed).toBe('0,1');
    expect(byName.get('c0')!.gpus).toBe('');
    expect(byName.get('c0')!.listed).toBe('');
    expect(readFileSync(join(root, 'cpus', 'whole', 'stdout'), 'utf8')).toContain('unset');
  });

  it('does not starve a large job behind a stream of small ones', async () => {
    const root = tempDir();
    const small = (i: number) => recorded(`s${i}`, { gpu: 1 }, 0.2);
    const jobs = [small(0), small(1), recorded('big', { gpu: 2 }, 0.2), ...Array.from({ length: 10 }, (_, i) => small(i + 2))];
    await runBatch(batch('fair', jobs, { gpu: 2, cpu: 64 }), { batchesDataDir: root });
    const all = spans(
      root,
      'fair',
      jobs.map((j) => j.name!),
    );
    const big = all.find((s) => s.name === 'big')!;
    // It starts as soon as the two jobs before it end, before any job behind it.
    for (const later of all.filter((s) => /^s([2-9]|1\d)$/.test(s.name))) expect(later.start, later.name).toBeGreaterThanOrEqual(big.start);
  });

  it('refuses at the start a job no machine could ever fit, naming it and the largest machine', async () => {
    const root = tempDir();
    const error = await runBatch(batch('huge', [recorded('fine', { gpu: 1 }), recorded('too-big', { gpu: 8 })], { gpu: 4, cpu: 8, ram: 1000 }), {
      batchesDataDir: root,
    }).catch((e: unknown) => e);
    expect(isHyperctlError(error) && error.code).toBe('E_UNSCHEDULABLE');
    expect((error as Error).message).toBe(
      '1 job(s) can never run: job "too-big" needs cpu 0, ram 0 MB, gpu 8, more than any machine has (the largest, local, has cpu 8, ram 1000 MB, gpu 4)',
    );
    expect(() => readFileSync(join(root, 'huge', 'spec.json'))).toThrow();
  });
});

describe('detected capacity', () => {
  it("detects this machine's CPUs, memory and GPUs (nvidia-smi, where there is one)", async () => {
    const hasGpu = spawnSync('sh', ['-c', 'nvidia-smi -L'], { stdio: 'ignore' }).status === 0;
    const jobs = [
      { name: 'one-cpu', params: {}, resource: { cpu: 1 }, execution: { command: 'true' } },
      ...(hasGpu ? [] : [{ name: 'gpu', params: {}, resource: { gpu: 1 }, execution: { command: 'true' } }]),
    ];
    const outcome = await runBatch({ name: 'detect', jobs }, { batchesDataDir: tempDir() }).catch((e: unknown) => e);
    if (hasGpu) return void expect((outcome as { status: string }).status).toBe('succeed');
    expect((outcome as Error).message).toContain(`(the largest, local, has cpu ${availableParallelism()}, ram ${Math.floor(totalmem() / 2 ** 20)} MB, gpu 0)`);
  });
});

describe('timeouts, retries and halting', () => {
  it("a timeout kills the job's whole process group and the job fails with reason timeout", async () => {
    const root = tempDir();
    const pids = join(tempDir(), 'pids');
    const result = await runBatch(
      { name: 'slow', jobs: [{ name: 'slow', params: {}, timeout: 0.5, execution: { command: `sleep 30 & echo $! >> ${pids}; echo $$ >> ${pids}; wait` } }] },
      { batchesDataDir: root, killGraceMs: 1000 },
    );
    const job = result.jobs[0]!;
    expect(job.status).toBe('failed');
    expect(job.reason).toMatch(/^timeout: still running after 0.5 s/);
    expect(job.durationMs).toBeLessThan(5000);
    for (const pid of readPids(pids)) expect(isRunning(pid), `pid ${pid}`).toBe(false);
  });

  it('retries only the failures the policy names, with back-off', async () => {
    const root = tempDir();
    const count = join(tempDir(), 'count');
    const flaky = (name: string, extra: Partial<JobConfig> = {}): JobConfig => ({
      name,
      params: {},
      execution: { command: `echo x >> ${count}-${name}; exit 1` },
      ...extra,
    });
    const events: BatchEvent[] = [];
    const result = await runBatch(
      { name: 'retry', jobs: [flaky('default'), flaky('twice', { retries: 2 })], job_defaults: { retry_on: ['failed'], retries: 0, retry_backoff: 0.05 } },
      { batchesDataDir: root, parallelism: 2, onEvent: (e) => events.push(e) },
    );
    expect(result.counts.failed).toBe(2);
    const runs = (name: string) => readFileSync(`${count}-${name}`, 'utf8').trim().split('\n').length;
    expect(runs('default')).toBe(1);
    expect(runs('twice')).toBe(3);
    expect(events.filter((e) => e.type === 'job:retry').map((e) => e.type === 'job:retry' && [e.job, e.attempt, e.reason])).toEqual([
      ['twice', 1, 'exit code 1'],
      ['twice', 2, 'exit code 1'],
    ]);

    // By default a non-zero exit is final.
    const plain = await runBatch({ name: 'plain', jobs: [flaky('once')] }, { batchesDataDir: root });
    expect(plain.counts.failed).toBe(1);
    expect(runs('once')).toBe(1);
  });

  it('halts after the given failures: soon lets running jobs finish, now kills them', async () => {
    const jobs = (prefix: string): JobConfig[] => [
      { name: `${prefix}-long`, params: {}, execution: { command: 'sleep 1' } },
      { name: `${prefix}-bad1`, params: {}, execution: { command: 'exit 1' } },
      { name: `${prefix}-bad2`, params: {}, execution: { command: 'exit 1' } },
      ...Array.from({ length: 5 }, (_, i) => ({ name: `${prefix}-later${i}`, params: {}, execution: { command: 'sleep 0.5' } })),
    ];
    const statuses = (result: { jobs: readonly { status: string }[] }) => result.jobs.map((j) => j.status);
    const soon = statuses(await runBatch({ name: 'soon', jobs: jobs('s'), halt: { fail: 2 } }, { batchesDataDir: tempDir(), parallelism: 3 }));
    expect(soon.slice(0, 3)).toEqual(['succeed', 'failed', 'failed']);
    // A later job may have taken the slot the first failure freed; none starts after the second.
    expect(soon.slice(3).filter((s) => s === 'init').length).toBeGreaterThanOrEqual(4);
    expect(
      soon
        .slice(3)
        .filter((s) => s !== 'init')
        .every((s) => s === 'succeed'),
    ).toBe(true);

    const now = await runBatch({ name: 'now', jobs: jobs('n'), halt: { fail: '25%', when: 'now' } }, { batchesDataDir: tempDir(), parallelism: 3 });
    expect(statuses(now).slice(0, 3)).toEqual(['killed', 'failed', 'failed']);
    expect(
      statuses(now)
        .slice(3)
        .filter((s) => s === 'init').length,
    ).toBeGreaterThanOrEqual(4);
    expect(
      statuses(now)
        .slice(3)
        .filter((s) => s !== 'init')
        .every((s) => s === 'killed'),
    ).toBe(true);
    expect(now.status).toBe('failed');
  });
});
