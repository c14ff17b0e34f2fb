import type { CapacityConfig, GpuPolicyConfig } from '../batch/types.js';
import type { Capacity } from './capacity.js';
import { type GpuState, gpuProbe, parseGpus } from './gpu-probe.js';

/**
 * A `sh` command that prints what a machine offers, one fact a line: CPUs, total memory in kB,
 * then its GPUs, their processes and the leases held on them ({@link gpuProbe}; no GPU where
 * `nvidia-smi` is missing). POSIX `sh` and coreutils (or `getconf`) suffice.
 */
export function capacityProbe(lockDir: string | undefined): string {
  return [
    '(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)',
    "(awk '/^MemTotal:/ { print $2 }' /proc/meminfo 2>/dev/null || echo 0)",
    gpuProbe(lockDir),
  ].join('\n');
}

/** What {@link capacityProbe} printed: the machine's CPUs, memory and GPUs, as detected. */
export interface ProbedMachine {
  readonly cpu: number;
  /** Memory in MB. */
  readonly ram: number;
  readonly gpus: readonly GpuState[];
}

/** Reads what {@link capacityProbe} printed. */
export function parseProbe(text: string): ProbedMachine {
  const [cpu = '1', memKb = '0'] = text.split('\n').map((l) => l.trim());
  return { cpu: Number(cpu) || 1, ram: Math.floor(Number(memKb) / 1024) || 0, gpus: parseGpus(text) };
}

/** How one run of {@link capacityProbe} went. */
export interface ProbeRun {
  readonly text: string;
  /** Its exit code; null when it told none (ended by a signal, or its channel closed first). */
  readonly code: number | null;
  /** The signal that ended it, where told. */
  readonly signal?: string | null;
  /** What it said on stderr. */
  readonly said: string;
}

function endOf(run: ProbeRun): string {
  if (run.code !== null) return `exit ${run.code}`;
  return run.signal ? `it was ended by ${run.signal}` : 'it told no exit status';
}

/**
 * What {@link capacityProbe} printed, once it is known to have run: it exited 0 and its first two
 * lines are whole numbers (CPUs, memory). Else an error saying `probe failed:` and why — a machine
 * whose probe failed is not one with 1 CPU, no memory and no GPUs.
 */
export function probeOutput(run: ProbeRun): string {
  const [cpu, memKb] = run.text.split('\n').map((l) => l.trim());
  const why =
    run.code !== 0
      ? `${endOf(run)}${run.said.trim() ? `: ${run.said.trim().slice(0, 500)}` : ''}`
      : !/^[1-9]\d*$/.test(cpu ?? '') || !/^\d+$/.test(memKb ?? '')
        ? `it printed ${JSON.stringify(run.text.slice(0, 80))}, not a CPU count and memory size`
        : undefined;
  if (why !== undefined) throw new Error(`probe failed: ${why}`);
  return run.text;
}

/**
 * What a machine offers its jobs: what was probed with the config's overrides, less the GPUs that
 * processes of others use, as `gpu_policy` says (`avoid` them, the default; `ignore` them; or keep
 * those with at least `min_free_mb` free). `notes` says which GPUs were left out, and why.
 */
export function capacityOf(probed: ProbedMachine, override: CapacityConfig | undefined): Capacity {
  const indices = gpuIndices(probed, override);
  const policy: GpuPolicyConfig = override?.gpu_policy ?? 'avoid';
  const notes: string[] = [];
  const gpus = indices.filter((index) => {
    const why = leftOut(
      probed.gpus.find((g) => g.index === index),
      policy,
    );
    if (why) notes.push(`GPU ${index} left out (capacity.gpu_policy): ${why}`);
    return !why;
  });
  const uuids = Object.fromEntries(probed.gpus.flatMap((g) => (g.uuid ? [[g.index, g.uuid]] : [])));
  return {
    cpu: override?.cpu ?? probed.cpu,
    ram: override?.ram ?? probed.ram,
    gpus,
    ...(Object.keys(uuids).length > 0 ? { gpuUuids: uuids } : {}),
    ...(notes.length > 0 ? { notes } : {}),
  };
}

/** Why a GPU is left out under `policy`, or undefined to use it. */
function leftOut(gpu: GpuState | undefined, policy: GpuPolicyConfig): string | undefined {
  if (!gpu || policy === 'ignore') return undefined;
  if (policy === 'avoid') {
    const [first, ...more] = gpu.foreign;
    return first
      ? `in use by pid ${first.pid} (${first.name || 'unknown'})${more.length > 0 ? ` and ${more.length} more` : ''}, not a hyperctl job`
      : undefined;
  }
  if (gpu.memoryMb === undefined || gpu.memoryUsedMb === undefined) return undefined;
  const free = gpu.memoryMb - gpu.memoryUsedMb;
  return free < policy.min_free_mb ? `${free} MB free, less than min_free_mb ${policy.min_free_mb}` : undefined;
}

/** The GPUs a machine offers by index: those detected, or those the config names. */
export function gpuIndices(probed: ProbedMachine, override: CapacityConfig | undefined): readonly number[] {
  const gpu = override?.gpu;
  return gpu === undefined ? probed.gpus.map((g) => g.index) : typeof gpu === 'number' ? Array.from({ length: gpu }, (_, i) => i) : gpu;
}
