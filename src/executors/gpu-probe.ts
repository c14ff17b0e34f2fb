import { defaultLockDirs } from './gpu-lease.js';
import { shellQuote } from './ssh/shell-quote.js';

/**
 * A process on a GPU, from `nvidia-smi --query-compute-apps`.
 * @public
 */
export interface GpuProcess {
  readonly pid: number;
  readonly name: string;
  /** Memory it uses on the GPU, in MB. */
  readonly memoryMb: number;
}

/**
 * A lease held on a GPU by a job of some run on the machine.
 * @public
 */
export interface GpuLeaseHeld {
  /** Thousandths of the GPU: 1000 for the whole GPU. */
  readonly share: number;
  /** Who holds it, as its run wrote it: batch, job, user, since. */
  readonly holder: string;
}

/**
 * One GPU of a machine as `hyperctl gpus` shows it.
 * @public
 */
export interface GpuState {
  /** `nvidia-smi`'s index (PCI bus order). */
  readonly index: number;
  readonly uuid?: string;
  readonly name?: string;
  /** Memory in MB, total and in use, where `nvidia-smi` told them. */
  readonly memoryMb?: number;
  readonly memoryUsedMb?: number;
  /** Leases held on it now, by any run on the machine. */
  readonly leases: readonly GpuLeaseHeld[];
  /** Processes on it that no hyperctl lease accounts for: another user's, or started by hand. */
  readonly foreign: readonly GpuProcess[];
}

/**
 * A `sh` script printing a machine's GPUs (`gpu, …`), the processes on them (`app, …`) and the
 * leases held in the lock folder (`lease, …`), one a line. A lease is held when the kernel lists a
 * lock on its GPU's folder (`/proc/locks`: WRITE for a whole GPU) or share file, or, for a `mkdir`
 * mark, while its pid lives.
 */
export function gpuProbe(lockDir: string | undefined): string {
  const pick = lockDir ? `d=${shellQuote(lockDir)}` : `if [ -d /run/lock ] && [ -w /run/lock ]; then d=${defaultLockDirs[0]}; else d=${defaultLockDirs[1]}; fi`;
  return [
    "(nvidia-smi --query-gpu=index,uuid,memory.total,memory.used,name --format=csv,noheader,nounits 2>/dev/null | sed 's/^/gpu, /') || true",
    "(nvidia-smi --query-compute-apps=gpu_uuid,pid,used_memory,process_name --format=csv,noheader,nounits 2>/dev/null | sed 's/^/app, /') || true",
    pick,
    'for f in "$d"/gpu-*; do',
    '  name=$(basename "$f")',
    '  case "$name" in *.ledger|*.d|"gpu-*") continue ;; esac',
    '  locks=$(grep ":$(ls -di "$f" | awk \'{ print $1 }\') " /proc/locks 2>/dev/null)',
    '  [ -n "$locks" ] || continue',
    '  case "$name" in',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
    '    *.share.*) echo "lease, ${name%%.share.*}, $(head -n 1 "$f"), $(sed -n 2p "$f")" ;;',
    '    *) case "$locks" in *WRITE*) echo "lease, $name, 1000, $(cat "$(ls -t "$f"/holder.* 2>/dev/null | head -n 1)" 2>/dev/null)" ;; esac ;;',
    '  esac',
    'done',
    'for m in "$d"/gpu-*.d; do',
    '  [ -d "$m" ] || continue',
    '  p=$(cat "$m/pid" 2>/dev/null)',
    '  [ -n "$p" ] && [ -d "/proc/$p" ] && echo "lease, $(basename "$m" .d), 1000, $(cat "$m/holder" 2>/dev/null)"',
    'done',
    ':',
  ].join('\n');
}

/** Splits a probe line into its first `n - 1` fields and the rest (a name may hold commas). */
function fields(line: string, n: number): string[] {
  const parts = line.split(',').map((part) => part.trim());
  return [...parts.slice(0, n - 1), parts.slice(n - 1).join(', ')];
}

const number = (text: string | undefined): number | undefined => (text !== undefined && /^\d+(\.\d+)?$/.test(text) ? Number(text) : undefined);

/**
 * Reads what {@link gpuProbe} printed (other lines are left alone): the GPUs `nvidia-smi` listed,
 * or those of `indices` (a configured capacity) with what it said of them.
 */
export function parseGpus(text: string, indices?: readonly number[]): GpuState[] {
  const lines = text.split('\n').map((line) => line.trim());
  const gpus = lines
    .filter((line) => line.startsWith('gpu,'))
    .map((line) => fields(line, 6))
    .flatMap(([, index, uuid, total, used, name]) =>
      number(index) === undefined
        ? []
        : [
            {
              index: number(index)!,
              ...(uuid ? { uuid } : {}),
              ...(name ? { name } : {}),
              ...(number(total) !== undefined ? { memoryMb: number(total)! } : {}),
              ...(number(used) !== undefined ? { memoryUsedMb: number(used)! } : {}),
            },
          ],
    );
  const apps = lines.filter((line) => line.startsWith('app,')).map((line) => fields(line, 5));
  const leases = lines.filter((line) => line.startsWith('lease,')).map((line) => fields(line, 4));
  const leasesOf = (key: string) =>
    leases.filter(([, file]) => file === `gpu-${key}`).map(([, , share, holder]) => ({ share: number(share) ?? 1000, holder: holder ?? '' }));
  const chosen = indices ? indices.map((index) => gpus.find((gpu) => gpu.index === index) ?? { index }) : gpus;
  return chosen.map((gpu: { index: number; uuid?: string }) => {
    const held = [...(gpu.uuid ? leasesOf(gpu.uuid) : []), ...leasesOf(`index-${gpu.index}`)];
    const processes = apps
      .filter(([, uuid]) => uuid === gpu.uuid)
      .map(([, , pid, memory, name]) => ({ pid: number(pid) ?? 0, name: name ?? '', memoryMb: number(memory) ?? 0 }));
    // A GPU a lease is held on runs hyperctl jobs: its processes are theirs.
    return { ...gpu, leases: held, foreign: held.length > 0 ? [] : processes };
  });
}
