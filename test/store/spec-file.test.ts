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

const batch = (jobs: JobSpec[]) => ({ name: 'batch', dataDir: '/b/batch', backend: { type: 'local', environments: {} }, jobs }) as unknown as BatchSpec;

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
