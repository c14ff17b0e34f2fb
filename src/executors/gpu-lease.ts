import { withoutControlCharacters } from '../text/control-characters.js';
import { lockFolderForLease } from './gpu-lock-folder.js';
import { shellQuote } from './ssh/shell-quote.js';

/**
 * A job's lease on its GPUs, taken on the machine by the process that runs it, so that every run
 * there (another batch, another user) sees them taken. Each job makes a claim file of its own in
 * one lock folder and holds a `flock` lock on it, released by the kernel when the job ends in any
 * way, `kill -9` included.
 * @public
 */
export interface GpuLease {
  /** The GPUs' names in lock files: their UUIDs where `nvidia-smi` told them, else `index-N`. */
  readonly keys: readonly string[];
  /** Thousandths of one GPU for a share below one (one key), 1000 for whole GPUs. */
  readonly share: number;
  /** Who holds it, one line: what `hyperctl gpus` shows (`batch b · job j · user u · since …`). */
  readonly holder: string;
  /** The folder of lock files; by default `/run/lock/hyperctl`, else `/tmp/hyperctl-locks`. */
  readonly lockDir?: string;
}

/** Exit status of a lease wrapper that found its GPUs held by another run; the job did not start. */
export const leaseBusyStatus = 75;

/** What a GPU key may hold: it stands in file names and shell words. */
export const gpuKeyPattern = /^[A-Za-z0-9][A-Za-z0-9-]{0,99}$/;

/**
 * A `sh` script that takes `lease`, runs `acquired` (which tells the runner the job starts), then
 * becomes `command`; exits {@link leaseBusyStatus} without starting it when another run holds the
 * GPUs.
 *
 * With `flock` (util-linux, so Linux): the job makes its claim `claim.SHARE.KEY,KEY.XXXXXX` (its own
 * new file, holding the holder line), locks it, then adds up the claims others hold on its GPUs — by
 * their names, held when `/proc/locks` lists a lock on them — and gives its claim back when they
 * leave no room. Two jobs that claim at once may both give way, never both go on: each locks before
 * it counts. Nobody else's file is ever opened, written or evaluated; names that are not claims are
 * ignored. Without `flock`: a `mkdir` mark per GPU with the holder's pid in a file name, taken over
 * from a holder that is gone; shares take their GPU whole.
 */
export function leaseScript(lease: GpuLease, acquired: string, command: string): string {
  for (const key of lease.keys) if (!gpuKeyPattern.test(key)) throw new Error(`a GPU key must match ${gpuKeyPattern}, got ${JSON.stringify(key)}`);
  const holder = shellQuote(withoutControlCharacters(lease.holder));
  return [
    ...lockFolderForLease(lease.lockDir),
    'if command -v flock >/dev/null 2>&1 && [ -r /proc/locks ]; then',
    ...withFlock(lease, holder),
    // A `flock` process holds the claim for the job's life, whatever descriptors the job itself opens
    // or closes (fd 9 is a common one to lock with); the job's shell lets go of the script's own.
    `exec flock -n -s -E ${leaseBusyStatus} "$c" sh -c ${shellQuote(`exec 9<&-
${acquired}
${command}`)}`,
    'else',
    ...withMkdir(lease.keys, holder, acquired, `sh -c ${shellQuote(command)}`),
    'fi',
    '',
  ].join('\n');
}

function withFlock(lease: GpuLease, holder: string): string[] {
  const keys = lease.keys.join(',');
  const busy = `{ rm -f -- "$c"; exit ${leaseBusyStatus}; }`;
  return [
    // mktemp makes the file new and ours (O_EXCL); in a sticky folder nobody else can replace it.
    `c=$(mktemp "$d/claim.${lease.share}.${keys}.XXXXXX") || { echo "hyperctl: cannot make a GPU claim in $d" >&2; exit 70; }`,
    // Shared: the job's `flock` below takes it too before this one lets go; others only look for a lock on it.
    `printf '%s\\n' ${holder} > "$c" && chmod 644 "$c" && exec 9<"$c" && flock -n -s 9 || ${busy}`,
    'locks=$(cat /proc/locks)',
    ...lease.keys.map((_, j) => `u${j}=0`),
    'for f in "$d"/claim.*; do',
    '  [ "$f" != "$c" ] && [ -f "$f" ] && [ ! -L "$f" ] || continue',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansions, not a template
    '  i=$(ls -di -- "$f" 2>/dev/null) || continue; i=${i#"${i%%[! ]*}"}; i=${i%% *}',
    '  case "$locks" in',
    '  *":$i "*)',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansions, not a template
    '    n=${f##*/}; n=${n#claim.}; fs=${n%%.*}; n=${n#*.}; fk=${n%.*}',
    // A share is 1 to 1000 written plainly: no sign, no leading zero, nothing the shell would evaluate.
    '    case "$fs" in [1-9]|[1-9][0-9]|[1-9][0-9][0-9]|1000) ;; *) echo "hyperctl: ignored $f in the GPU lock folder: not a claim" >&2; continue ;; esac',
    ...lease.keys.map((key, j) => `    case ",$fk," in *,${key},*) u${j}=$((u${j} + fs)) ;; esac`),
    '    ;;',
    '  *)',
    // A claim nobody holds is a finished job's: cleared once a minute old, long past its maker's lock.
    '    if [ "$me" = 0 ] || [ -O "$f" ]; then [ -z "$(find "$f" -prune -mmin +1 2>/dev/null)" ] || rm -f -- "$f" 2>/dev/null; fi',
    '    ;;',
    '  esac',
    'done',
    ...lease.keys.map((_, j) => `[ $((u${j} + ${lease.share})) -le 1000 ] || ${busy}`),
    // Still in place: a claim cleared by mistake would hold a lock nobody sees.
    `[ "$c" -ef /dev/fd/9 ] || ${busy}`,
  ];
}

function withMkdir(keys: readonly string[], holder: string, acquired: string, run: string): string[] {
  return [
    'taken=""',
    // Gives back what this job marked: on a busy GPU, and when the job ends.
    'release() { for m in $taken; do rm -rf -- "$m"; done; }',
    // The holder's pid, from a file name in the mark (a name is never opened or evaluated); alive: its /proc entry, else kill -0.
    'holder_alive() {',
    '  for p in "$1"/pid.*; do',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
    '    p=${p##*/pid.}',
    '    case "$p" in ""|*[!0-9]*|0*|??????????*) continue ;; esac',
    '    if [ -d /proc/self ]; then [ -d "/proc/$p" ] && return 0; else kill -0 "$p" 2>/dev/null && return 0; fi',
    '    return 1',
    '  done',
    // A mark with no pid is being made, or its maker died at once: held for its first minute.
    '  [ -z "$(find "$1" -prune -mmin +1 2>/dev/null)" ]',
    '}',
    ...keys.flatMap((key) => [
      `m="$d"/${shellQuote(`mark.${key}`)}`,
      'if ! mkdir "$m" 2>/dev/null; then',
      `  if [ -d "$m" ] && [ ! -L "$m" ] && ! holder_alive "$m"; then rm -rf -- "$m"; mkdir "$m" 2>/dev/null || { release; exit ${leaseBusyStatus}; }`,
      `  else release; exit ${leaseBusyStatus}; fi`,
      'fi',
      'taken="$taken $m"',
      `printf '%s\\n' ${holder} > "$m/holder"; : > "$m/pid.$$"`,
    ]),
    // The wrapper stays, to give the marks back when the job ends (a kill -9 of it leaves them to be taken over).
    "trap 'release' EXIT",
    "trap 'exit 143' TERM",
    "trap 'exit 130' INT",
    acquired,
    run,
    'exit $?',
  ];
}
