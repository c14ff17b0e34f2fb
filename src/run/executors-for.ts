import type { BatchSpec } from '../batch/spec.js';
import { backendOf } from '../executors/backends/backend-of.js';
import type { ExecutorSettings } from '../executors/backends/backend.js';
import type { Executor } from '../executors/executor.js';
import { resolveGpuLockDir } from '../paths.js';
import type { Upload } from '../upload/upload.js';
import type { RunBatchOptions } from './options.js';

/** True when capacity decides where jobs run: some job declares `resource`, or a machine's capacity is set (not where a scheduler places jobs itself). */
export function usesResources(spec: BatchSpec): boolean {
  const backend = backendOf(spec.backend);
  if (backend.placesJobs) return false;
  return backend.capacitySet || spec.search?.template.resource !== undefined || spec.jobs.some((job) => job.resource !== undefined);
}

/**
 * The executors a batch's `backend` describes: the local machine, one per SSH machine, the
 * cluster. Slots default to 1 (a whole machine per job, as the seed says), or to no limit but the
 * capacity when jobs declare resources.
 */
export function createExecutors(
  spec: BatchSpec,
  options: Pick<RunBatchOptions, 'killGraceMs' | 'gpuLockDir'>,
  upload?: Upload,
  hooks: Pick<ExecutorSettings, 'onUploadProgress' | 'onWarning' | 'onHealth'> = {},
): Executor[] {
  const gpuLockDir = resolveGpuLockDir(options.gpuLockDir);
  return backendOf(spec.backend).executors(spec, {
    defaultSlots: usesResources(spec) ? Number.POSITIVE_INFINITY : 1,
    ...(options.killGraceMs !== undefined ? { killGraceMs: options.killGraceMs } : {}),
    ...(gpuLockDir !== undefined ? { gpuLockDir } : {}),
    ...(upload ? { upload } : {}),
    ...hooks,
  });
}
