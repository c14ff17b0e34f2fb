import type { BatchSpec, JobSpec, RetryCause } from '../batch/spec.js';
import type { GpuLease } from '../executors/gpu-lease.js';
import type { Grant } from './capacity.js';

/** True when the policy runs the job again after `attempt` (0 for the first run) failed for `cause`. */
export function shouldRetry(spec: BatchSpec, job: JobSpec, cause: RetryCause | undefined, attempt: number): cause is RetryCause {
  return cause !== undefined && attempt < job.retries && spec.retryOn.includes(cause);
}

/** Wait before the next attempt: none after a lost machine (another one takes it), else doubling. */
export function backoffMs(spec: BatchSpec, cause: RetryCause, attempt: number): number {
  return cause === 'lost' ? 0 : Math.min(spec.retryBackoffMs * 2 ** attempt, 5 * 60_000);
}

/**
 * The GPU variables of a job given `grant`: its GPUs in `CUDA_VISIBLE_DEVICES` and
 * `HYPERCTL_GPUS` (an empty list hides every GPU), `nvidia-smi`'s indices; with
 * `CUDA_DEVICE_ORDER=PCI_BUS_ID`, so that CUDA numbers GPUs as `nvidia-smi` does (its default is
 * fastest first) and the GPU a job is given is the GPU it uses. A whole-machine job sees every
 * GPU, unchanged.
 */
export function gpuEnvironment(grant: Grant): Record<string, string> {
  const list = grant.gpus.join(',');
  const order: Record<string, string> = grant.gpus.length > 0 ? { CUDA_DEVICE_ORDER: 'PCI_BUS_ID' } : {};
  return grant.demand.whole ? { HYPERCTL_GPUS: list, ...order } : { CUDA_VISIBLE_DEVICES: list, HYPERCTL_GPUS: list, ...order };
}

/** The lease a job given `grant` (with GPUs) takes on its machine's GPUs. */
export function gpuLeaseFor(grant: Grant, holder: string, lockDir: string | undefined): GpuLease {
  const gpu = grant.demand.whole ? 1 : grant.demand.gpu;
  return { keys: grant.gpuKeys, share: gpu < 1 ? Math.round(gpu * 1000) : 1000, holder, ...(lockDir ? { lockDir } : {}) };
}
