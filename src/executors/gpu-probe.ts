import { withoutControlCharacters } from '../text/control-characters.js';
import { gpuKeyPattern } from './gpu-lease.js';
import { lockFolderToLook } from './gpu-lock-folder.js';

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
 * leases held in the lock folder (`lease, gpu-KEY, SHARE, HOLDER`), one a line. A claim is held
 * while the kernel lists a lock on it (`/proc/locks`); a `mkdir` mark while its pid lives. Names
 * are read as data; a holder line is read from a regular file only, at most 300 bytes of it.
 */
export function gpuProbe(lockDir: string | undefined): string {
  return [
    "(nvidia-smi --query-gpu=index,uuid,memory.total,memory.used,name --format=csv,noheader,nounits 2>/dev/null | sed 's/^/gpu, /') || true",
    "(nvidia-smi --query-compute-apps=gpu_uuid,pid,used_memory,process_name --format=csv,noheader,nounits 2>/dev/null | sed 's/^/app, /') || true",
    ...lockFolderToLook(lockDir),
    'holder() { if [ -f "$1" ] && [ ! -L "$1" ]; then head -c 300 -- "$1" 2>/dev/null | head -n 1; fi; }',
    'if [ -n "$d" ]; then',
    '  locks=$(cat /proc/locks 2>/dev/null)',
    '  for f in "$d"/claim.*; do',
    '    [ -f "$f" ] && [ ! -L "$f" ] || continue',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansions, not a template
    '    i=$(ls -di -- "$f" 2>/dev/null) || continue; i=${i#"${i%%[! ]*}"}; i=${i%% *}',
    '    case "$locks" in *":$i "*) ;; *) continue ;; esac',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansions, not a template
    '    n=${f##*/}; n=${n#claim.}; fs=${n%%.*}; n=${n#*.}; fk=${n%.*}',
    '    case "$fs" in [1-9]|[1-9][0-9]|[1-9][0-9][0-9]|1000) ;; *) continue ;; esac',
    '    h=$(holder "$f")',
    '    (set -f; IFS=,; for k in $fk; do echo "lease, gpu-$k, $fs, $h"; done)',
    '  done',
    '  for m in "$d"/mark.*; do',
    '    [ -d "$m" ] && [ ! -L "$m" ] || continue',
    '    for p in "$m"/pid.*; do',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
    '      p=${p##*/pid.}',
    '      case "$p" in ""|*[!0-9]*|0*) continue ;; esac',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
    '      [ -d "/proc/$p" ] && echo "lease, gpu-${m##*/mark.}, 1000, $(holder "$m/holder")"',
    '    done',
    '  done',
    'fi',
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
 * Reads what {@link gpuProbe} printed (other lines are left alone): the GPUs `nvidia-smi` listed;
 * or, for a view, those of `indices` (the machine's capacity) and those leases name, with what it
 * said of them.
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
              // A UUID names lock files: one that is not a plain name is not taken.
              ...(uuid && gpuKeyPattern.test(uuid) ? { uuid } : {}),
              ...(name ? { name } : {}),
              ...(number(total) !== undefined ? { memoryMb: number(total)! } : {}),
              ...(number(used) !== undefined ? { memoryUsedMb: number(used)! } : {}),
            },
          ],
    );
  const apps = lines.filter((line) => line.startsWith('app,')).map((line) => fields(line, 5));
  const leases = lines.filter((line) => line.startsWith('lease,')).map((line) => fields(line, 4));
  const leasesOf = (key: string) =>
    leases
      .filter(([, file]) => file === `gpu-${key}`)
      .map(([, , share, holder]) => ({ share: number(share) ?? 1000, holder: withoutControlCharacters(holder ?? '') }));
  // A view lists a GPU a lease names by index even where nvidia-smi is missing or did not list it.
  const leased = leases.flatMap(([, file]) => {
    const index = /^gpu-index-(\d{1,4})$/.exec(file ?? '')?.[1];
    return index === undefined ? [] : [Number(index)];
  });
  const wanted = indices ? [...new Set([...indices, ...leased])].sort((a, b) => a - b) : gpus.map((gpu) => gpu.index);
  const chosen = wanted.map((index) => gpus.find((gpu) => gpu.index === index) ?? { index });
  return chosen.map((gpu: { index: number; uuid?: string }) => {
    const held = [...(gpu.uuid ? leasesOf(gpu.uuid) : []), ...leasesOf(`index-${gpu.index}`)];
    const processes = apps
      .filter(([, uuid]) => uuid === gpu.uuid)
      .map(([, , pid, memory, name]) => ({ pid: number(pid) ?? 0, name: name ?? '', memoryMb: number(memory) ?? 0 }));
    // A GPU a lease is held on runs hyperctl jobs: its processes are theirs.
    return { ...gpu, leases: held, foreign: held.length > 0 ? [] : processes };
  });
}
