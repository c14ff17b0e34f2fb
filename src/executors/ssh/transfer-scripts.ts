import { shellQuote } from './shell-quote.js';

/*
 * The shell scripts that move files to and from a machine over an exec channel: only `sh`, `tar`,
 * `mktemp`, `ln` and `find` are needed there.
 */

/** Prints `yes` when the snapshot is already on the machine (its name resolves to a folder). */
export function hasSnapshotScript(dir: string): string {
  return `if [ -d ${shellQuote(dir)}/. ]; then echo yes; else echo no; fi`;
}

/**
 * Receives a snapshot as a tar stream on stdin: extracted into a fresh folder beside the others,
 * then published by a symbolic link named after its hash, so the name exists only for a whole
 * tree. Publishing holds a lock (a `mkdir`, which only one caller can win): a batch that uploads
 * the same tree at the same time finds it published and drops its own copy. (`ln -s` alone will
 * not do: onto a link to a folder it makes the new link inside that folder.)
 */
export function receiveSnapshotScript(dir: string): string {
  const name = shellQuote(dir);
  const lock = shellQuote(`${dir}.lock`);
  return [
    'set -e',
    `base=$(dirname ${name})`,
    'mkdir -p "$base"',
    `tmp=$(mktemp -d "$base/.incoming.XXXXXX")`,
    'tar -xf - -C "$tmp"',
    'chmod 755 "$tmp"',
    // A lock left by a publisher that died between its two steps is taken over after ten seconds.
    `i=0; until mkdir ${lock} 2>/dev/null; do i=$((i + 1)); [ "$i" -lt 100 ] || { rmdir ${lock} 2>/dev/null || true; }; sleep 0.1; done`,
    `if [ -d ${name}/. ]; then rm -rf "$tmp"; else rm -f ${name}; ln -s "$(basename "$tmp")" ${name}; fi`,
    `rmdir ${lock}`,
    '',
  ].join('\n');
}

/**
 * Keeps the snapshot in use fresh and removes old ones: those not used for `days` days (their
 * link's time is refreshed at each use), and folders of uploads that never finished, a day old.
 * A job already running keeps its view: its files are links to the data, not to the snapshot.
 */
export function collectSnapshotsScript(dir: string, days: number): string {
  const base = shellQuote(dir.slice(0, dir.lastIndexOf('/')));
  const name = shellQuote(dir.slice(dir.lastIndexOf('/') + 1));
  return [
    `cd ${base} 2>/dev/null || exit 0`,
    `touch -h ${name} 2>/dev/null || true`,
    `find . -maxdepth 1 -type l -mtime +${Math.max(0, Math.floor(days))} -print | while IFS= read -r link; do target=$(readlink "$link"); rm -f "$link"; case "$target" in .incoming.*) rm -rf "./$target" ;; esac; done`,
    'for d in .incoming.*; do',
    '  [ -d "$d" ] || continue',
    '  used=no',
    '  for l in *; do [ -L "$l" ] && [ "$(readlink "$l")" = "$d" ] && used=yes; done',
    '  [ "$used" = no ] && [ -n "$(find "$d" -maxdepth 0 -mtime +0 -print)" ] && rm -rf "./$d"',
    'done',
    'exit 0',
    '',
  ].join('\n');
}

/** Lists the files below a job's working folder, one path a line, relative (`./a/b`). */
export function listFilesScript(dir: string): string {
  return `cd ${shellQuote(dir)} 2>/dev/null || exit 0\nfind . \\( -type f -o -type l \\) -print\n`;
}

/** Prints the size and path of each file named on stdin (one a line), tab-separated. */
export function sizesScript(dir: string): string {
  return `cd ${shellQuote(dir)} || exit 1\nwhile IFS= read -r f; do printf '%s\\t%s\\n' "$(wc -c < "$f" | tr -d ' ')" "$f"; done\n`;
}

/** Writes the files named (relative to `dir`) to stdout as one tar stream. */
export function sendFilesScript(dir: string, paths: readonly string[]): string {
  return `cd ${shellQuote(dir)} || exit 1\nexec tar -cf - -- ${paths.map(shellQuote).join(' ')}\n`;
}

/** Removes a job's folder on the machine. */
export function removeScript(dir: string): string {
  return `rm -rf ${shellQuote(dir)}\n`;
}
