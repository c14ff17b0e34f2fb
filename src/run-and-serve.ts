import { dirname, resolve } from 'node:path';
import { loadConfigFile } from './batch/load-file.js';
import { defaultBatchName } from './batch/names.js';
import type { JobTemplate } from './batch/generate.js';
import type { SearchConfig } from './batch/search-config.js';
import type { BatchConfig } from './batch/types.js';
import { startDaemonOn } from './daemon/server.js';
import { BatchRun } from './run/batch-run.js';
import type { BatchResult } from './run/events.js';
import type { RunBatchOptions } from './run/options.js';
import { prepareBatch } from './run/prepare.js';

/**
 * Runs a batch to its end and resolves with every job's outcome; a job that fails is a result,
 * not an exception. A job template runs as the grid of its lists; a {@link SearchConfig} runs as
 * a search, its trials proposed as slots free up (the result's `search` says why it stopped and
 * which trial is best). Re-running a batch of the same name resumes it: jobs that succeeded with the
 * same params and command are skipped. Rejects with a {@link HyperctlError} when it cannot run
 * (`E_CONFIG_INVALID`, `E_BATCH_LOCKED`, …), when `options.signal` aborts (`E_ABORTED`, after
 * running jobs were killed and recorded), or when the batch's state cannot be written
 * (`E_STATE_WRITE`, a full disk: the run stops and kills its jobs; what was not recorded runs
 * again on the next run). Writes nothing to stdout and keeps no global state, so several runs may
 * go on in one process.
 * @example
 * ```ts
 * const result = await runBatch(defineBatch({ jobs: [{ params: { lr: 0.1 }, execution: { command: 'node train.mjs' } }] }), { parallelism: 2 })
 * console.log(result.status, result.counts)
 * ```
 * @public
 */
export async function runBatch(batch: BatchConfig | SearchConfig | JobTemplate, options: RunBatchOptions = {}): Promise<BatchResult> {
  return runBatchConfig(batch, options);
}

/**
 * {@link runBatch} for a config of unchecked shape, read from the file `where` names. The one place
 * that puts a run and its daemon together: the daemon takes its port before the run writes
 * anything, and reads the run's state; the run knows it only by its address.
 */
export async function runBatchConfig(config: unknown, options: RunBatchOptions, where?: string): Promise<BatchResult> {
  const run = new BatchRun(prepareBatch(config, options, where), options);
  // A big batch's raw config is not needed once it is checked and normalised.
  config = undefined;
  if (!options.daemon) return run.run();
  const daemon = await startDaemonOn(run, run.spec.daemon.host, options.port ?? run.spec.daemon.port);
  return run.run(daemon);
}

/**
 * Runs the batch config in `file` as `hyperctl run -c FILE` does: JSON, YAML, or a TypeScript or
 * JavaScript module whose default export is the config (or a function that returns it). Relative
 * paths resolve against the file's folder, messages name the file, and a config without a `name`
 * is named after the file (its base name and a hash of its path), so running the same file again
 * resumes it.
 * @example
 * ```ts
 * const result = await runBatchFile('sweep.yaml', { parallelism: 4 })
 * ```
 * @public
 */
export async function runBatchFile(file: string, options: RunBatchOptions = {}): Promise<BatchResult> {
  const path = resolve(file);
  return runBatchConfig(
    await loadConfigFile(path),
    { ...options, baseDir: options.baseDir ?? dirname(path), defaultName: options.defaultName ?? defaultBatchName(path) },
    file,
  );
}
