import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BatchRun } from '../../src/run/batch-run.js';
import { prepareBatch } from '../../src/run/prepare.js';
import { BatchState } from '../../src/state/batch-state.js';
import { toJobResult } from '../../src/state/job-result.js';
import { readJournal } from '../../src/store/journal.js';
import { foldBatch } from '../../src/store/read-batch.js';
import type { BatchConfig, JobResult } from '../../src/index.js';
import { seededRandom } from '../helpers/fault-trials.js';
import { tempDir } from '../helpers/tmp.js';

/** The jobs of a batch folder's journal, folded by a reader of the disk. */
function replayed(dir: string, run: BatchRun): JobResult[] {
  const state = new BatchState(run.spec).applyAll(readJournal(join(dir, 'journal.jsonl')));
  return state.all().map((job) => toJobResult(job, state.runStartedAt));
}

describe('the state of a batch', () => {
  it('is the same live and replayed from its journal, at random moments of runs that fail, time out, retry and resume', async () => {
    const random = seededRandom();
    const root = tempDir();
    const jobs = Array.from({ length: 24 }, (_, i) => {
      const pause = (random.next() * 0.15).toFixed(3);
      const outcome = random.next();
      const command = outcome < 0.15 ? `sleep ${pause}; exit 3` : outcome < 0.25 ? 'sleep 5' : `sleep ${pause}; echo 'hyperctl:metrics {"loss": ${i}}'`;
      return { name: `j${i}`, params: { i }, execution: { command }, ...(outcome >= 0.15 && outcome < 0.25 ? { timeout: 0.2 } : {}) };
    });
    const config: BatchConfig = { name: 'replay', jobs, job_defaults: { retries: 1, retry_on: ['failed'], retry_backoff: 0 } };
    for (const force of [false, false, true]) {
      const options = { batchesDataDir: root, parallelism: 4, force, killGraceMs: 200 };
      const run = new BatchRun(prepareBatch(config, options), {
        ...options,
        onEvent: (event) => {
          if (event.type !== 'job:start' && event.type !== 'job:exit' && event.type !== 'job:retry') return;
          if (random.next() < 0.5)
            expect(replayed(run.spec.dataDir, run), `seed ${random.seed}, at ${event.type}`).toEqual([...run.states()].map((job) => run.result(job)));
        },
      });
      const result = await run.run();
      // Once the run is over, a reader of the disk sees what the run reported.
      expect(foldBatch(root, 'replay').jobs, `seed ${random.seed}`).toEqual(result.jobs);
    }
  }, 60_000);
});
