// A test harness that embeds hyperctl: run a small sweep, then check its results through the read
// API, as a CI job or a benchmark suite would. `node check-sweep.mjs` exits non-zero when a check fails.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateJobs, openBatch, runBatch } from 'hyperctl';

const batchesDataDir = await mkdtemp(join(tmpdir(), 'harness-'));
const jobs = [...generateJobs({ params: { lr: [0.01, 0.1, 1] }, execution: { command: 'node score.mjs', working_dir: import.meta.dirname } })];
const result = await runBatch({ name: 'harness', jobs }, { batchesDataDir, parallelism: 3 });
assert.equal(result.status, 'succeed');

const batch = openBatch('harness', { batchesDataDir });
assert.equal((await batch.info()).counts.succeed, 3);
const best = await batch.best('score', 'max');
assert.equal(best?.params.lr, 0.1, 'the middle learning rate scores best');
const { jobs: failed } = await batch.jobs({ status: 'failed' });
assert.deepEqual(failed, []);
console.log(`best: lr=${best.params.lr} score=${best.value}`);
