import { describe, expect, it } from 'vitest';
import type { BatchSpec, JobSpec } from '../../src/batch/spec.js';
import { specFromStored, storedSpec } from '../../src/store/spec-file.js';

const job = (name: string, more: Partial<JobSpec> = {}): JobSpec => ({
  name,
  params: { x: 1 },
  command: 'true',
  workingDir: `/b/batch/${name}`,
  dataDir: `/b/batch/${name}`,
  hash: 'h',
  retries: 0,
  ...more,
});

const batch = (jobs: JobSpec[]) =>
  ({
    name: 'batch',
    version: '2.5',
    dataDir: '/b/batch',
    backend: { type: 'local', environments: {} },
    daemon: { host: '127.0.0.1', exitOnFinish: false },
    jobs,
    retryOn: ['lost'],
    retryBackoffMs: 0,
  }) as unknown as BatchSpec;

describe('the stored spec', () => {
  it('leaves out the folders a job repeats of its batch, and gets them back', () => {
    const spec = batch([job('a'), job('b', { workingDir: '/work' }), job('c', { dataDir: '/elsewhere/c', workingDir: '/elsewhere/c' })]);
    const stored = JSON.parse(JSON.stringify(storedSpec(spec))) as BatchSpec;
    expect(stored.jobs[0]).not.toHaveProperty('dataDir');
    expect(stored.jobs[0]).not.toHaveProperty('workingDir');
    expect(stored.jobs[1]).toMatchObject({ workingDir: '/work' });
    expect(stored.jobs[1]).not.toHaveProperty('dataDir');
    expect(stored.jobs[2]).toMatchObject({ dataDir: '/elsewhere/c' });
    expect(stored.jobs[2]).not.toHaveProperty('workingDir');
    expect(specFromStored(stored)).toEqual(spec);
  });

  it('reads a spec written with every folder', () => {
    const spec = batch([job('a'), job('b', { workingDir: '/work' })]);
    expect(specFromStored(JSON.parse(JSON.stringify(spec)))).toEqual(spec);
  });

  it('never stores a machine password or passphrase', () => {
    const spec = {
      ...batch([]),
      backend: { type: 'remote', machines: [{ hostname: 'h', password: 'secret', passphrase: 'words' }] },
    } as unknown as BatchSpec;
    const text = JSON.stringify(storedSpec(spec));
    expect(text).not.toContain('secret');
    expect(text).not.toContain('words');
  });
});

describe('a damaged stored spec', () => {
  it('is refused naming the field, not read into a spec that fails later', () => {
    const stored = () => JSON.parse(JSON.stringify(storedSpec(batch([job('a'), job('b')])))) as Record<string, unknown> & { jobs: Record<string, unknown>[] };
    const cases: [(s: ReturnType<typeof stored>) => void, string][] = [
      [(s) => delete s.dataDir, 'dataDir: Invalid key: Expected "dataDir" but received undefined'],
      [(s) => (s.jobs = {} as never), 'jobs: Invalid type: Expected Array but received Object'],
      [(s) => (s.jobs[1]!.command = 7), 'jobs[1].command: expected a string'],
      [(s) => (s.jobs[0]!.params = null), 'jobs[0].params: expected an object'],
      [(s) => (s.backend = { type: 'cloud' }), 'backend.type: Invalid type: Expected ("local" | "remote" | "slurm") but received "cloud"'],
    ];
    for (const [damage, message] of cases) {
      const s = stored();
      damage(s);
      expect(() => specFromStored(s)).toThrow(message);
    }
  });
});
