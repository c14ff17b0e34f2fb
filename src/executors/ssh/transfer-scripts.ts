import type { SnapshotEntry } from '../../upload/snapshot.js';
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
  return [
    'set -e',
    `base=$(dirname ${shellQuote(dir)})`,
    'mkdir -p "$base"',
    `tmp=$(mktemp -d "$base/.incoming.XXXXXX")`,
    'tar -xf - -C "$tmp"',
    publishLines(dir),
    '',
  ].join('\n');
}

/** Makes the publishing of a snapshot received into the folder `$tmp`, under the lock. */
function publishLines(dir: string): string {
  const name = shellQuote(dir);
  const lock = shellQuote(`${dir}.lock`);
  return [
    'chmod 755 "$tmp"',
    // A lock left by a publisher that died between its two steps is taken over after ten seconds.
    `i=0; until mkdir ${lock} 2>/dev/null; do i=$((i + 1)); [ "$i" -lt 100 ] || { rmdir ${lock} 2>/dev/null || true; }; sleep 0.1; done`,
    `if [ -d ${name}/. ]; then rm -rf "$tmp"; else rm -f ${name}; ln -s "$(basename "$tmp")" ${name}; fi`,
    `rmdir ${lock}`,
  ].join('\n');
}

/** Receives a job's assets as a tar stream on stdin into `dir`, made afresh. */
export function receiveAssetsScript(dir: string): string {
  return ['set -e', `rm -rf ${shellQuote(dir)}`, `mkdir -p ${shellQuote(dir)}`, `tar -xf - -C ${shellQuote(dir)}`, ''].join('\n');
}

/**
 * Without `tar` on the machine, a snapshot arrives in three steps: this script makes a fresh
 * folder with the tree's folders and links and prints its path; each file then comes through a
 * channel of its own into `cat` ({@link receiveFileScript}); {@link publishScript} publishes it.
 */
export function prepareTreeScript(dir: string, entries: readonly SnapshotEntry[]): string {
  return [
    'set -e',
    `base=$(dirname ${shellQuote(dir)})`,
    'mkdir -p "$base"',
    `tmp=$(mktemp -d "$base/.incoming.XXXXXX")`,
    ...entries.flatMap((entry) =>
      entry.type === 'directory'
        ? [`mkdir -p "$tmp"/${shellQuote(entry.path)}`]
        : entry.type === 'symlink'
          ? [`ln -s ${shellQuote(entry.target)} "$tmp"/${shellQuote(entry.path)}`]
          : [],
    ),
    'printf %s "$tmp"',
    '',
  ].join('\n');
}

/** Writes stdin into one file of a tree being received, with its mode. */
export function receiveFileScript(path: string, mode: number): string {
  return `cat > ${shellQuote(path)} && chmod ${mode.toString(8)} ${shellQuote(path)}`;
}

/** Publishes a tree received without `tar` into `tmp`. */
export function publishScript(dir: string, tmp: string): string {
  return `set -e\ntmp=${shellQuote(tmp)}\n${publishLines(dir)}\n`;
}

/** Writes one file of a job's folder to stdout, for a machine without `tar`. */
export function sendFileScript(dir: string, path: string): string {
  return `cd ${shellQuote(dir)} && exec cat -- ${shellQuote(path)}`;
}

/**
 * Prints `yes` when the snapshot is on the machine, else `no`, in the same round trip keeping it
 * fresh and removing old ones: those no run used for `days` days (a link's time is refreshed at
 * each use), and folders of uploads that never finished, a day old. The removing goes on in the
 * background, its output nowhere, so the answer (and the channel's end) does not wait for it; it
 * never touches this snapshot (just refreshed) or an upload under way (younger than a day). A job
 * already running keeps its view: its files are links to the data, not to the snapshot.
 */
export function checkSnapshotScript(dir: string, days: number): string {
  const base = shellQuote(dir.slice(0, dir.lastIndexOf('/')));
  const name = shellQuote(dir.slice(dir.lastIndexOf('/') + 1));
  return [
    `cd ${base} 2>/dev/null || { echo no; exit 0; }`,
    `touch -h ${name} 2>/dev/null || true`,
    `if [ -d ${name}/. ]; then echo yes; else echo no; fi`,
    '(',
    `  find . -maxdepth 1 -type l -mtime +${Math.max(0, Math.floor(days))} -print | while IFS= read -r link; do target=$(readlink "$link"); rm -f "$link"; case "$target" in .incoming.*) rm -rf "./$target" ;; esac; done`,
    '  for d in .incoming.*; do',
    '    [ -d "$d" ] || continue',
    '    used=no',
    '    for l in *; do [ -L "$l" ] && [ "$(readlink "$l")" = "$d" ] && used=yes; done',
    '    [ "$used" = no ] && [ -n "$(find "$d" -maxdepth 0 -mtime +0 -print)" ] && rm -rf "./$d"',
    '  done',
    ') </dev/null >/dev/null 2>&1 &',
    '',
  ].join('\n');
}

/**
 * Lists what is below a job's working folder, relative (`./a/b`), each path ended by a NUL: its
 * regular files, an empty entry, then everything else but folders (links, FIFOs, sockets,
 * devices), which are never read or followed.
 */
export function listFilesScript(dir: string): string {
  return `cd ${shellQuote(dir)} 2>/dev/null || exit 0\nfind . -type f -print0\nprintf '\\0'\nfind . ! -type d ! -type f -print0\n`;
}

/**
 * Prints the size and path of each file named on stdin (one a line), tab-separated; `-` for one
 * that is no longer a regular file (never read: a link or a FIFO could be endless).
 */
export function sizesScript(dir: string): string {
  return `cd ${shellQuote(dir)} || exit 1\nwhile IFS= read -r f; do if [ -f "$f" ] && [ ! -L "$f" ]; then s=$(wc -c < "$f" | tr -d ' '); else s=-; fi; printf '%s\\t%s\\n' "$s" "$f"; done\n`;
}

/** Writes the files named (relative to `dir`) to stdout as one tar stream. */
export function sendFilesScript(dir: string, paths: readonly string[]): string {
  return `cd ${shellQuote(dir)} || exit 1\nexec tar -cf - -- ${paths.map(shellQuote).join(' ')}\n`;
}

/** Removes a job's folder on the machine. */
export function removeScript(dir: string): string {
  return `rm -rf ${shellQuote(dir)}\n`;
}
