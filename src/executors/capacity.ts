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
}

/** Detected capacity with the config's overrides applied. */
export function withOverride(detected: Capacity, override: CapacityConfig | undefined): Capacity {
  if (!override) return detected;
  const gpu = override.gpu;
  return {
    cpu: override.cpu ?? detected.cpu,
    ram: override.ram ?? detected.ram,
    gpus: gpu === undefined ? detected.gpus : typeof gpu === 'number' ? Array.from({ length: gpu }, (_, i) => i) : gpu,
  };
}
