import { afterEach, describe, expect, it, vi } from 'vitest';
import { runBatch } from '../../src/index.js';
import { startLongTimer } from '../../src/run/long-timer.js';
import { tempDir } from '../helpers/tmp.js';

afterEach(() => vi.useRealTimers());

describe('long timeouts', () => {
  it('fire after their whole delay, also past the 24.8 days a Node timer takes', () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    const thirtyDays = 30 * 86_400_000;
    startLongTimer(thirtyDays, fired);
    vi.advanceTimersByTime(2 ** 31);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(thirtyDays - 2 ** 31 - 1);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledOnce();
  });

  it('can be cancelled at any point of the wait', () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    const cancel = startLongTimer(2 ** 32, fired);
    vi.advanceTimersByTime(2 ** 31 + 5);
    cancel();
    vi.advanceTimersByTime(2 ** 33);
    expect(fired).not.toHaveBeenCalled();
  });

  it('do not kill a job at its start when its timeout is weeks long', async () => {
    const result = await runBatch(
      { name: 'long', jobs: [{ name: 'a', params: {}, execution: { command: 'sleep 0.2' }, timeout: 2_200_000 }] },
      { batchesDataDir: tempDir() },
    );
    expect(result.jobs[0]!.status).toBe('succeed');
  });
});
