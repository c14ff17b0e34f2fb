import type { CapacityConfig } from '../batch/types.js';

/**
 * What a machine offers to jobs.
 * @public
 */
export interface Capacity {
  /** CPUs. */
  readonly cpu: number;
  /** Memory in MB. */
  readonly ram: number;
  /** Indices of its GPUs. */
  readonly gpus: readonly number[];
  /** The UUIDs of its GPUs by index, where `nvidia-smi` told them. */
  readonly gpuUuids?: Readonly<Record<number, string>>;
}

/** A GPU's name in lease files: its UUID where known (the same GPU whatever the numbering), else `index-N`. */
export function gpuKey(capacity: Capacity, index: number): string {
  return capacity.gpuUuids?.[index] ?? `index-${index}`;
}

/** Detected capacity with the config's overrides applied. */
export function withOverride(detected: Capacity, override: CapacityConfig | undefined): Capacity {
  if (!override) return detected;
  const gpu = override.gpu;
  return {
    cpu: override.cpu ?? detected.cpu,
    ram: override.ram ?? detected.ram,
    gpus: gpu === undefined ? detected.gpus : typeof gpu === 'number' ? Array.from({ length: gpu }, (_, i) => i) : gpu,
    ...(detected.gpuUuids ? { gpuUuids: detected.gpuUuids } : {}),
  };
}
