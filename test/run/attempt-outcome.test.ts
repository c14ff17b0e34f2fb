import { describe, expect, it } from 'vitest';
import { detachedExit, exited, failedExit, jobExitOf, killedExit, leaseRefusedExit, lostExit } from '../../src/executors/job-exit.js';
import { attemptOutcome, exitRecordOf, retryReason } from '../../src/run/attempt-outcome.js';

const job = { name: 'j', hash: 'h', timeoutMs: 1500 };
const ran = { timedOut: false };

describe("what a job's run comes to", () => {
  it('succeeds on exit code 0 only; a kill is a kill; a lost machine and a run that never started fail, each with its cause', () => {
    expect(attemptOutcome(exited(0, null), job, ran)).toEqual({ status: 'succeed' });
    expect(attemptOutcome(exited(3, null), job, ran)).toEqual({ status: 'failed', cause: 'failed' });
    expect(attemptOutcome(exited(null, 'SIGSEGV'), job, ran)).toEqual({ status: 'failed', cause: 'failed' });
    expect(attemptOutcome(killedExit(null, 'SIGTERM', 'by job kill'), job, ran)).toEqual({ status: 'killed', reason: 'by job kill' });
    expect(attemptOutcome(lostExit('gone'), job, ran)).toEqual({ status: 'failed', cause: 'lost', reason: 'gone' });
    expect(attemptOutcome(failedExit('cannot start: no sh'), job, ran)).toEqual({ status: 'failed', cause: 'failed', reason: 'cannot start: no sh' });
  });

  it('puts pruning before a timeout, and a timeout before what the killed process said', () => {
    expect(attemptOutcome(killedExit(null, 'SIGKILL'), job, { timedOut: true })).toEqual({
      status: 'failed',
      cause: 'timeout',
      reason: 'timeout: still running after 1.5 s, its process group was killed',
    });
    expect(attemptOutcome(killedExit(), job, { timedOut: true, prunedBecause: 'median rule' })).toEqual({ status: 'pruned', reason: 'median rule' });
  });

  it('says why a retry comes: what the executor said, else the exit code, else the cause', () => {
    expect(retryReason(exited(2, null), 'failed')).toBe('exit code 2');
    expect(retryReason(lostExit('ssh: connection reset'), 'lost')).toBe('ssh: connection reset');
    expect(retryReason(killedExit(), 'timeout')).toBe('timeout');
  });

  it('records the code and signal a process gave, null where none did', () => {
    const run = { host: 'h1', startedAt: 1, at: 2, metrics: { loss: 0.5 } };
    expect(exitRecordOf(job, exited(0, null), { status: 'succeed' }, run)).toEqual({
      e: 'exit',
      job: 'j',
      hash: 'h',
      status: 'succeed',
      code: 0,
      signal: null,
      startedAt: 1,
      at: 2,
      host: 'h1',
      metrics: { loss: 0.5 },
    });
    expect(exitRecordOf(job, lostExit('gone'), { status: 'failed', cause: 'lost', reason: 'gone' }, { ...run, metrics: undefined })).toMatchObject({
      code: null,
      signal: null,
      reason: 'gone',
    });
  });
});

describe('an exit in the shape executors returned before it had an outcome', () => {
  it('is read as it meant, for executors written against the earlier release', () => {
    expect(jobExitOf({ exitCode: 0, signal: null, killed: false })).toEqual(exited(0, null));
    expect(jobExitOf({ exitCode: 1, signal: null, killed: false, reason: 'bad input' })).toEqual({
      outcome: 'exited',
      exitCode: 1,
      signal: null,
      reason: 'bad input',
    });
    expect(jobExitOf({ exitCode: null, signal: 'SIGTERM', killed: true })).toEqual(killedExit(null, 'SIGTERM'));
    expect(jobExitOf({ exitCode: null, signal: null, killed: false, lost: true, reason: 'gone' })).toEqual(lostExit('gone'));
    expect(jobExitOf({ exitCode: null, signal: null, killed: false, reason: 'cannot start' })).toEqual(failedExit('cannot start'));
    expect(jobExitOf({ exitCode: null, signal: null, killed: false, detached: true })).toEqual(detachedExit());
    expect(jobExitOf({ exitCode: null, signal: null, killed: false, leaseBusy: true, reason: 'held' })).toEqual({ outcome: 'lease-busy', reason: 'held' });
    const current = leaseRefusedExit('h', 75, null, 75);
    expect(jobExitOf(current)).toBe(current);
  });
});
