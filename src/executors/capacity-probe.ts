import type { Capacity } from './capacity.js';

/**
 * A `sh` command that prints what a machine offers, one fact a line: CPUs, total memory in kB,
 * then one line per GPU from `nvidia-smi` (none where it is missing). POSIX `sh` and coreutils
 * (or `getconf`) suffice.
 */
export const capacityProbe = [
  '(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)',
  "(awk '/^MemTotal:/ { print $2 }' /proc/meminfo 2>/dev/null || echo 0)",
  '(nvidia-smi --query-gpu=index,memory.total --format=csv,noheader 2>/dev/null || true)',
].join('; ');

/** Reads what {@link capacityProbe} printed. */
export function parseCapacity(text: string): Capacity {
  const [cpu = '1', memKb = '0', ...gpuLines] = text.split('\n').map((l) => l.trim());
  const gpus = gpuLines.filter((line) => /^\d+\s*,/.test(line)).map((line) => Number(line.split(',')[0]));
  return { cpu: Number(cpu) || 1, ram: Math.floor(Number(memKb) / 1024) || 0, gpus };
}
