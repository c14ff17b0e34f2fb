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
  /** What the user should know: GPUs left out, and why. */
  readonly notes?: readonly string[];
}

/** A GPU's name in lease files: its UUID where known (the same GPU whatever the numbering), else `index-N`. */
export function gpuKey(capacity: Capacity, index: number): string {
  return capacity.gpuUuids?.[index] ?? `index-${index}`;
}
