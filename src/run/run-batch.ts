import type { BatchConfig } from '../batch/types.js';
import { BatchRun } from './batch-run.js';
import type { BatchResult } from './events.js';
import type { RunBatchOptions } from './options.js';
import { prepareBatch } from './prepare.js';

/**
 * Runs a batch to its end and resolves with every job's outcome; a job that fails is a result,
 * not an exception. Re-running a batch of the same name resumes it: jobs that succeeded with the
 * same params and command are skipped. Rejects with a {@link HyperctlError} when it cannot run
 * (`E_CONFIG_INVALID`, `E_BATCH_LOCKED`, …), when `options.signal` aborts (`E_ABORTED`, after
 * running jobs were killed and recorded), or when the batch's state cannot be written
 * (`E_STATE_WRITE`, a full disk: the run stops and kills its jobs; what was not recorded runs
 * again on the next run). Writes nothing to stdout and keeps no global state, so
 * several runs may go on in one process.
 * @example
 * ```ts
 * const result = await runBatch(defineBatch({ jobs: [{ params: { lr: 0.1 }, execution: { command: 'node train.mjs' } }] }), { parallelism: 2 })
 * console.log(result.status, result.counts)
 * ```
 * @public
 */
export async function runBatch(batch: BatchConfig, options: RunBatchOptions = {}): Promise<BatchResult> {
  return runBatchConfig(batch, options);
}

/** {@link runBatch} for a config of unchecked shape, read from the file `where` names. */
export async function runBatchConfig(config: unknown, options: RunBatchOptions, where?: string): Promise<BatchResult> {
  return new BatchRun(prepareBatch(config, options, where), options).run();
}
