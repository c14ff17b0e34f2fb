import { shellQuote } from './ssh/shell-quote.js';

/**
 * A job's lease on its GPUs, taken on the machine by the process that runs it, so that every run
 * there (another batch, another user) sees them taken. The lock files live in one folder all users
 * can write; `flock` locks held on them by the job's own processes are released by the kernel when
 * the job ends in any way, `kill -9` included.
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

/** The default folders of lock files, the first whose parent exists and is writable. */
export const defaultLockDirs = ['/run/lock/hyperctl', '/tmp/hyperctl-locks'] as const;

/** Shell lines that set `$d` to the lock folder (made, open to every user) or exit 70. */
function lockDirLines(lockDir: string | undefined): string[] {
  const pick = lockDir ? `d=${shellQuote(lockDir)}` : `if [ -d /run/lock ] && [ -w /run/lock ]; then d=${defaultLockDirs[0]}; else d=${defaultLockDirs[1]}; fi`;
  return [
    pick,
    // Sticky and open to all, as /tmp: every user's runs take leases here, none removes another's files.
    '[ -d "$d" ] || { mkdir -p "$d" && chmod 1777 "$d"; } 2>/dev/null',
    '[ -d "$d" ] && [ -w "$d" ] || { echo "hyperctl: cannot use the GPU lock folder $d" >&2; exit 70; }',
  ];
}

/** Shell lines that make lock file `$f` (open to every user) if it is missing. */
const ensureFile = '[ -e "$f" ] || { : > "$f" && chmod 666 "$f"; } 2>/dev/null';

/**
 * Shell lines that make a GPU's lock, the folder `$g`, if it is missing. A folder, not a file:
 * where the kernel protects files in sticky folders (`fs.protected_regular`), a file another user
 * made cannot be opened with O_CREAT, which `flock FILE` does; a folder can. Sticky and open to
 * all, so each holder writes its own `holder.PID` inside.
 */
const ensureGpuDir = '[ -d "$g" ] || { mkdir -p "$g" && chmod 1777 "$g"; } 2>/dev/null';

/**
 * A `sh` script that takes `lease`, runs `acquired` (which tells the runner the job starts), then
 * becomes `command`; exits {@link leaseBusyStatus} without starting it when another run holds the
 * GPUs. With `flock` (util-linux): whole GPUs are held exclusively, each by a `flock` process
 * around the job (any number, all or none); a share holds its GPU's lock shared plus a file of its
 * own holding the share, counted against the others' under a short ledger lock. Without `flock`, a
 * `mkdir` per GPU marks it, with the holder's pid: a dead holder's mark is taken over, and shares
 * take their GPU whole.
 */
export function leaseScript(lease: GpuLease, acquired: string, command: string): string {
  const holder = shellQuote(lease.holder);
  // With flock the shell that took the lease goes on as the job's `sh -c`: one process less per
  // job. The command is last, after the script's own variables are gone.
  const inline = (names: string) => `unset ${names}\n${command}`;
  return [
    ...lockDirLines(lease.lockDir),
    'if command -v flock >/dev/null 2>&1; then',
    ...(lease.share >= 1000
      ? wholeWithFlock(lease.keys, holder, acquired, inline('g'))
      : shareWithFlock(lease.keys[0]!, lease.share, holder, acquired, inline('d f g h used'))),
    'else',
    ...withMkdir(lease.keys, holder, acquired, `sh -c ${shellQuote(command)}`),
    'fi',
    '',
  ].join('\n');
}

function wholeWithFlock(keys: readonly string[], holder: string, acquired: string, run: string): string[] {
  const inner = [
    // The holder's own file (others' stale ones go where this user may remove them).
    ...keys.map(
      (key) => `g="$HYPERCTL_LOCK_DIR"/${shellQuote(`gpu-${key}`)}; rm -f "$g"/holder.* 2>/dev/null; printf '%s\\n' ${holder} > "$g/holder.$$" 2>/dev/null`,
    ),
    acquired,
    run,
  ].join('\n');
  return [
    ...keys.flatMap((key) => [`g="$d"/${shellQuote(`gpu-${key}`)}`, ensureGpuDir]),
    'export HYPERCTL_LOCK_DIR="$d"',
    // Each flock holds one GPU's lock and waits for what it runs: the next flock, at last the job.
    `exec ${keys.map((key) => `flock -n -E ${leaseBusyStatus} "$d"/${shellQuote(`gpu-${key}`)}`).join(' ')} sh -c ${shellQuote(inner)}`,
  ];
}

function shareWithFlock(key: string, share: number, holder: string, acquired: string, run: string): string[] {
  const shares = `"$d"/${shellQuote(`gpu-${key}.share.`)}`;
  return [
    `g="$d"/${shellQuote(`gpu-${key}`)}`,
    ensureGpuDir,
    `f="$d"/${shellQuote(`gpu-${key}.ledger`)}`,
    ensureFile,
    // Held shared for the job's life: a run that wants the GPU whole waits for every share.
    `exec 7<"$g" && flock -n -s 7 || exit ${leaseBusyStatus}`,
    // The ledger lock makes counting the shares and adding one a single step.
    'exec 8<"$f" && flock 8 || exit 70',
    'used=0',
    `for h in ${shares}*; do`,
    '  [ -f "$h" ] || continue',
    // A share file nobody holds is a dead job's: it counts no more (opened without O_CREAT: it may be another user's).
    '  if ( exec 6<"$h" && flock -n 6 ) 2>/dev/null; then rm -f "$h" 2>/dev/null; else used=$((used + $(head -n 1 "$h" 2>/dev/null || echo 0))); fi',
    'done',
    `[ $((used + ${share})) -le 1000 ] || exit ${leaseBusyStatus}`,
    `h=$(mktemp ${shares}XXXXXX) || exit 70`,
    `printf '%s\\n%s\\n' ${share} ${holder} > "$h" && chmod 644 "$h"`,
    `exec 9<"$h" && flock -n 9 || exit ${leaseBusyStatus}`,
    'flock -u 8; exec 8<&-',
    acquired,
    run,
  ];
}

function withMkdir(keys: readonly string[], holder: string, acquired: string, run: string): string[] {
  return [
    'taken=""',
    // Gives back what this job marked: on a busy GPU, and when the job ends.
    'release() { for m in $taken; do rm -rf "$m"; done; }',
    // Alive: its /proc entry, or else kill -0 (which fails for another user's live process too: then it counts as alive).
    'alive() { if [ -d /proc/self ]; then [ -d "/proc/$1" ]; else kill -0 "$1" 2>/dev/null; fi; }',
    ...keys.flatMap((key) => [
      `m="$d"/${shellQuote(`gpu-${key}.d`)}`,
      'if ! mkdir "$m" 2>/dev/null; then',
      '  p=$(cat "$m/pid" 2>/dev/null)',
      // A mark whose holder is gone is taken over.
      `  if [ -n "$p" ] && ! alive "$p"; then rm -rf "$m"; mkdir "$m" 2>/dev/null || { release; exit ${leaseBusyStatus}; }`,
      `  else release; exit ${leaseBusyStatus}; fi`,
      'fi',
      'taken="$taken $m"',
      `echo $$ > "$m/pid"; printf '%s\\n' ${holder} > "$m/holder"`,
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
