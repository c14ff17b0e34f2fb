import { describe, expect, it } from 'vitest';
import type { BatchSpec } from '../../src/batch/spec.js';
import type { Executor } from '../../src/executors/executor.js';
import { endOrphans } from '../../src/run/run-setup.js';
import type { BatchStore } from '../../src/store/batch-store.js';

describe("ending what a dead runner's jobs left", () => {
  it("asks an SSH machine named local to end its job, as any other: only the local backend's jobs are this machine's processes", async () => {
    const ended: string[] = [];
    const machine: Executor = {
      host: 'local',
      slots: 1,
      run: () => Promise.reject(new Error('not run here')),
      endOrphan: async (batch, job) => void ended.push(`${batch}/${job}`),
    };
    const spec = {
      name: 'b',
      dataDir: '/nonexistent/b',
      jobs: [],
      backend: { type: 'remote', machines: [{ hostname: 'local' }], hostKeyChecking: 'yes', knownHostsFile: '/dev/null', cleanup: 'never' },
    } as unknown as BatchSpec;
    const store = { previous: new Map([['j', { e: 'start', job: 'j', hash: 'h', at: 1, pid: 1, host: 'local' }]]) } as unknown as BatchStore;
    await endOrphans(store, spec, [machine], 100);
    expect(ended).toEqual(['b/j']);
  });
});
