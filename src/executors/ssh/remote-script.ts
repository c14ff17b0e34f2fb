import { metricsMarker } from '../../metrics/marker.js';
import { type GpuLease, leaseScript } from '../gpu-lease.js';
import { shellQuote } from './shell-quote.js';

/** Paths of a job on its remote machine. */
export interface RemoteJobPaths {
  readonly dataDir: string;
  readonly workingDir: string;
  /**
   * With an upload: the snapshot on the machine, and the job's own view of it, made anew for each
   * run of the job as a copy whose files are hard links (no data copied; a job that writes new
   * files does not touch the snapshot or another job's view).
   */
  readonly view?: { readonly snapshot: string; readonly dir: string };
  /** A temporary folder of the job's own, made before it starts. */
  readonly tmp?: string;
}

/**
 * The script that runs one job on a remote machine, fed to `sh -s`. It makes the job's folders,
 * writes `params.json`, exports the environment and runs the command in a session (so a process
 * group) of its own, with its pid in `{dataDir}/pid` for a later kill, and exits with the
 * command's status. Every value is single-quoted: nothing from the config or the params is
 * interpreted by the shell except the command itself. The whole script is one `{ … }` block, so
 * the shell has read all of it before the job starts. Only POSIX `sh` is needed, plus `setsid`
 * (util-linux, busybox) or else `perl` to start the session.
 */
export function jobScript(
  command: string,
  paths: RemoteJobPaths,
  paramsJson: string,
  env: Readonly<Record<string, string>>,
  graceMs: number,
  lease?: GpuLease,
): string {
  const data = shellQuote(paths.dataDir);
  // With a GPU lease the session's first process takes it, says so on stdout, then becomes the command.
  const run = lease ? leaseScript(lease, `printf '%s\\n' ${shellQuote(leaseTakenLine)}`, command) : command;
  const exports = Object.entries(env).map(([name, value]) => `export ${name}=${shellQuote(value)}`);
  // The session's leader writes its own pid before the command runs: a runner killed at any instant
  // leaves no job running without it (written by the wrapper after the start, a dying wrapper lost it).
  const leader = shellQuote(`echo $$ > ${data}/pid; exec sh -c "$1"`);
  return [
    '{',
    'set -e',
    `mkdir -p ${data}`,
    ...(paths.view
      ? [
          `rm -rf ${shellQuote(paths.view.dir)}`,
          `mkdir -p ${shellQuote(paths.view.dir)}`,
          // Hard links where cp can make them (GNU, busybox), a plain copy elsewhere.
          `cp -al ${shellQuote(`${paths.view.snapshot}/.`)} ${shellQuote(`${paths.view.dir}/`)} 2>/dev/null || cp -R ${shellQuote(`${paths.view.snapshot}/.`)} ${shellQuote(`${paths.view.dir}/`)}`,
        ]
      : []),
    `mkdir -p ${shellQuote(paths.workingDir)}`,
    ...(paths.tmp ? [`mkdir -p ${shellQuote(paths.tmp)}`] : []),
    `printf '%s' ${shellQuote(paramsJson)} > ${data}/params.json`,
    // Emptied, not removed (a builtin): metrics of an earlier run are not this run's.
    `: > ${data}/metrics.json`,
    `cd ${shellQuote(paths.workingDir)}`,
    ...exports,
    'set +e',
    'if command -v setsid >/dev/null 2>&1; then',
    `  setsid sh -c ${leader} sh ${shellQuote(run)} </dev/null &`,
    'else',
    `  perl -MPOSIX -e 'POSIX::setsid(); exec @ARGV or die' -- sh -c ${leader} sh ${shellQuote(run)} </dev/null &`,
    'fi',
    'pid=$!',
    'wait "$pid"',
    'status=$?',
    ...leftoverLines(graceMs),
    // Emptied, not removed: a builtin, so no process more per job; the kill script reads nothing then.
    `: > ${data}/pid`,
    // A metrics.json the job left comes home as a metrics line: the local side reads only stdout.
    `if [ -s ${data}/metrics.json ]; then printf '\\n%s' ${shellQuote(metricsMarker)}; tr '\\n' ' ' < ${data}/metrics.json; echo; fi`,
    'exit "$status"',
    '}',
    '',
  ].join('\n');
}

/**
 * Shell lines that end what the job (session leader `$pid`, now ended) left in its process group —
 * SIGTERM, SIGKILL after the grace — and say how many on stderr (counted from `/proc` where there is
 * one). A process that left the group (`setsid`) is the job's own business.
 */
function leftoverLines(graceMs: number): string[] {
  return [
    'if kill -s 0 -- "-$pid" 2>/dev/null; then',
    '  n=0',
    '  for s in /proc/[0-9]*/stat; do',
    // A process gone meanwhile: its file cannot be opened (said on the braces' stderr, not the job's).
    '    { read -r l < "$s"; } 2>/dev/null || continue',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
    '    set -- ${l##*) }',
    '    [ "$3" = "$pid" ] && [ "$1" != Z ] && n=$((n + 1))',
    '  done',
    '  [ "$n" -gt 0 ] || n=some',
    ...endGroupLines('$pid', graceMs).map((line) => `  ${line}`),
    '  if [ "$n" = 1 ]; then n="1 process it left in its process group was"; else n="$n processes it left in its process group were"; fi',
    '  echo "hyperctl: the job ended; $n ended" >&2',
    'fi',
  ];
}

/** Shell lines that end the process group `pgid` (a shell word): SIGTERM, then SIGKILL to what is left after `graceMs`. */
function endGroupLines(pgid: string, graceMs: number): string[] {
  return [
    // The POSIX spelling (`-s NAME --`) is the one every sh accepts for a process group.
    `kill -s TERM -- "-${pgid}" 2>/dev/null`,
    'i=0',
    `while kill -s 0 -- "-${pgid}" 2>/dev/null && [ "$i" -lt ${Math.ceil(graceMs / 100)} ]; do sleep 0.1; i=$((i + 1)); done`,
    // Only a group still there: an ended group's number may be a new process's by now.
    `kill -s 0 -- "-${pgid}" 2>/dev/null && kill -s KILL -- "-${pgid}" 2>/dev/null`,
  ];
}

/**
 * The script that ends a remote job's whole process group: SIGTERM, then SIGKILL to whatever is
 * left after `graceMs`. Does nothing when the job has already ended.
 */
export function killScript(dataDir: string, graceMs: number): string {
  return [
    `pgid=$(cat ${shellQuote(`${dataDir}/pid`)} 2>/dev/null) || exit 0`,
    '[ -n "$pgid" ] || exit 0',
    'kill -s 0 -- "-$pgid" 2>/dev/null || exit 0',
    ...endGroupLines('$pgid', graceMs),
    'exit 0',
    '',
  ].join('\n');
}

/** The line a remote job's lease wrapper prints first on stdout once its GPUs are leased: the job starts then. */
export const leaseTakenLine = 'hyperctl: GPU lease taken';

/**
 * Passes a leased job's stdout on without its first line, once that line says the lease was taken
 * (then `onTaken` is called); output that does not start with it passes whole.
 */
export function leaseTakenFilter(onTaken: () => void): (chunk: Buffer) => Buffer {
  let head: Buffer | undefined = Buffer.alloc(0);
  return (chunk) => {
    if (!head) return chunk;
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf(10);
    if (end < 0 && head.length <= leaseTakenLine.length) return Buffer.alloc(0);
    const seen = head;
    head = undefined;
    if (end >= 0 && seen.subarray(0, end).toString() === leaseTakenLine) {
      onTaken();
      return seen.subarray(end + 1);
    }
    return seen;
  };
}
