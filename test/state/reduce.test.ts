import { describe, expect, it } from 'vitest';
import type { JobSpec } from '../../src/batch/spec.js';
import { BatchState } from '../../src/state/batch-state.js';
import { initialJobState } from '../../src/state/job-state.js';
import { reduceJob, settleJob } from '../../src/state/reduce.js';
import type { ExitRecord, StartRecord } from '../../src/state/records.js';

const spec = (name: string, hash = `h-${name}`): JobSpec => ({
  name,
  params: { name },
  command: 'true',
  workingDir: '/w',
  dataDir: `/d/${name}`,
  hash,
  retries: 1,
});
const batchOf = (jobs: JobSpec[]) => ({ name: 'b', dataDir: '/d', jobs });
const start = (job: string, at: number, more: Partial<StartRecord> = {}): StartRecord => ({
  e: 'start',
  job,
  hash: `h-${job}`,
  at,
  pid: 10,
  ticks: 5,
  host: 'local',
  ...more,
});
const exit = (job: string, status: ExitRecord['status'], at: number, more: Partial<ExitRecord> = {}): ExitRecord => ({
  e: 'exit',
  job,
  hash: `h-${job}`,
  status,
  code: status === 'succeed' ? 0 : 1,
  signal: null,
  startedAt: at - 1,
  at,
  host: 'local',
  ...more,
});

describe('the reducer', () => {
  it('takes a job from init through running to its end, each state with only its own data', () => {
    const a = spec('a');
    const running = reduceJob(initialJobState(a), start('a', 1), a);
    expect(running).toEqual({ name: 'a', params: { name: 'a' }, dataDir: '/d/a', status: 'running', startedAt: 1, host: 'local', pid: 10, ticks: 5 });
    const ended = reduceJob(running, exit('a', 'failed', 3, { reason: 'boom', metrics: { loss: 1 } }), a);
    expect(ended).toMatchObject({ status: 'failed', startedAt: 2, endedAt: 3, exitCode: 1, reason: 'boom', metrics: { loss: 1 } });
    expect(ended).not.toHaveProperty('pid');
  });

  it('keeps a job queued at a scheduler in init, with its id', () => {
    const a = spec('a');
    expect(reduceJob(initialJobState(a), start('a', 1, { queued: true, handle: '7_1' }), a)).toEqual({ ...initialJobState(a), queued: '7_1' });
  });

  it('ignores records of another version of the job (its params or command changed)', () => {
    const a = spec('a', 'new');
    expect(reduceJob(initialJobState(a), exit('a', 'succeed', 2), a)).toEqual(initialJobState(a));
  });

  it('starts a run: every job but those that succeeded goes back to init; with force, every job', () => {
    const state = new BatchState(batchOf([spec('a'), spec('b'), spec('c')])).applyAll([exit('a', 'succeed', 2), exit('b', 'failed', 2), start('c', 3)]);
    expect(state.counts()).toMatchObject({ succeed: 1, failed: 1, running: 1, init: 0 });
    state.apply({ e: 'run', at: 10 });
    expect(state.all().map((j) => j.status)).toEqual(['succeed', 'init', 'init']);
    expect(state.runStartedAt).toBe(10);
    state.apply({ e: 'run', at: 20, force: true });
    expect(state.counts()).toMatchObject({ total: 3, init: 3, succeed: 0 });
  });

  it('settles what a dead runner left: running and queued jobs end failed, saying how to follow them', () => {
    const a = spec('a');
    expect(settleJob(reduceJob(initialJobState(a), start('a', 1), a), 9)).toMatchObject({
      status: 'failed',
      startedAt: 1,
      endedAt: 9,
      reason: 'the runner stopped while the job ran',
    });
    expect(settleJob(reduceJob(initialJobState(a), start('a', 1, { handle: '5_0' }), a), 9)).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining('as 5_0; run the batch again to follow it'),
    });
    expect(settleJob({ ...initialJobState(a), queued: '5_1' }, 9)).toMatchObject({ status: 'failed', reason: expect.stringContaining('held it as 5_1') });
    expect(settleJob(initialJobState(a), 9)).toEqual(initialJobState(a));
  });

  it('ignores records of jobs the batch no longer has, and keeps its counts as jobs change', () => {
    const state = new BatchState(batchOf([spec('a')])).applyAll([exit('gone', 'succeed', 1), start('a', 2), exit('a', 'killed', 3)]);
    expect(state.counts()).toEqual({ total: 1, init: 0, running: 0, succeed: 0, failed: 0, killed: 1, pruned: 0 });
  });

  it('makes the state of a job nothing happened to from its spec, in batch order, with queued jobs settled like running ones', () => {
    const state = new BatchState(batchOf([spec('a'), spec('b'), spec('c')])).applyAll([start('b', 1, { queued: true, handle: '7_0' }), start('c', 2)]);
    expect(state.get('a')).toEqual(initialJobState(spec('a')));
    expect(state.get('nope')).toBeUndefined();
    expect(state.all().map((j) => [j.name, j.status])).toEqual([
      ['a', 'init'],
      ['b', 'init'],
      ['c', 'running'],
    ]);
    expect(state.counts()).toMatchObject({ init: 2, running: 1 });
    state.settle(9);
    expect(state.all().map((j) => j.status)).toEqual(['init', 'failed', 'failed']);
    expect(state.counts()).toMatchObject({ total: 3, init: 1, failed: 2 });
    state.apply({ e: 'run', at: 10 });
    expect(state.counts()).toMatchObject({ total: 3, init: 3, failed: 0 });
  });
});
