import { shellQuote } from './ssh/shell-quote.js';

/** The default folders of lock files, the first whose parent exists and is writable. */
export const defaultLockDirs = ['/run/lock/hyperctl', '/tmp/hyperctl-locks'] as const;

/**
 * Shell lines that define `me` (this user's id) and `trusted DIR`: true for a real folder (not a
 * link) owned by root or by this user, sticky where others may write in it. Only such a folder is
 * used: in any other, another user could rename or replace what this run made there.
 */
const trustedLines = [
  'me=$(id -u)',
  'trusted() (',
  '  set -f',
  '  [ -d "$1" ] && [ ! -L "$1" ] || exit 1',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
  '  set -- $(LC_ALL=C ls -ldn -- "$1" 2>/dev/null) && [ -n "${3:-}" ] || exit 1',
  '  case "$3" in 0|"$me") ;; *) exit 1 ;; esac',
  '  case "$1" in ?????w*|????????w*) case "$1" in ?????????[tT]*) ;; *) exit 1 ;; esac ;; esac',
  ')',
];

function pickLines(lockDir: string | undefined): string[] {
  return [
    lockDir ? `d=${shellQuote(lockDir)}` : `if [ -d /run/lock ] && [ -w /run/lock ]; then d=${defaultLockDirs[0]}; else d=${defaultLockDirs[1]}; fi`,
    // A relative folder must not read as an option to the tools given it.
    'case "$d" in /*) ;; *) d="./$d" ;; esac',
  ];
}

/**
 * Shell lines that set `$d` to the folder a lease is taken in, or exit 70 saying why. The shared
 * folder must be {@link trustedLines | trusted}: root makes it so (a folder of another owner becomes
 * root's, mode 1777, keeping the leases taken in it; anything else at its path is moved aside);
 * another user who finds it untrusted takes leases in a private folder of its own (`DIR.uid-N`,
 * mode 0700) and is told that other users' runs do not see them.
 */
export function lockFolderForLease(lockDir: string | undefined): string[] {
  const fail = (why: string) => `{ echo "hyperctl: cannot use the GPU lock folder ${why}" >&2; exit 70; }`;
  return [
    ...pickLines(lockDir),
    ...trustedLines,
    'if ! trusted "$d"; then',
    '  if [ "$me" = 0 ]; then',
    '    if [ -d "$d" ] && [ ! -L "$d" ] && trusted "$(dirname -- "$d")" && chown -h 0:0 "$d" 2>/dev/null && [ -d "$d" ] && [ ! -L "$d" ]; then',
    // Root's now, in a folder only root may rename things in: the chmod cannot be sent elsewhere.
    '      chmod 1777 "$d" && echo "hyperctl: the GPU lock folder $d was not root\'s or not sticky: it is now (owner root, mode 1777)" >&2',
    '    elif [ -e "$d" ] || [ -L "$d" ]; then',
    '      a=$(mktemp -u "$d.untrusted.XXXXXX") && mv -f -- "$d" "$a" && echo "hyperctl: $d was not a folder root can trust: moved aside to $a" >&2',
    '    fi',
    '    [ -e "$d" ] || [ -L "$d" ] || mkdir -m 1777 "$d" 2>/dev/null',
    `    trusted "$d" || ${fail('$d: it is not a folder owned by root')}`,
    '  else',
    '    [ -e "$d" ] || [ -L "$d" ] || mkdir -m 1777 "$d" 2>/dev/null',
    '    if ! trusted "$d"; then',
    '      p="$d.uid-$me"',
    '      [ -e "$p" ] || [ -L "$p" ] || mkdir -m 700 "$p" 2>/dev/null',
    `      trusted "$p" || ${fail('$d (not a folder owned by root or you, sticky) nor $p (not a folder of yours)')}`,
    '      echo "hyperctl: warning: the GPU lock folder $d is not a folder owned by root or you with the sticky bit: this job\'s GPU lease is taken in $p, which other users\' runs do not see (an administrator can make the shared one: install -d -m 1777 -o root $d)" >&2',
    '      d=$p',
    '    fi',
    '  fi',
    'fi',
  ];
}

/**
 * Shell lines that set `$d` to the folder whose leases are listed, as {@link lockFolderForLease}
 * would choose it, changing nothing: empty when there is no trusted one.
 */
export function lockFolderToLook(lockDir: string | undefined): string[] {
  return [...pickLines(lockDir), ...trustedLines, 'if ! trusted "$d"; then if [ "$me" != 0 ] && trusted "$d.uid-$me"; then d="$d.uid-$me"; else d=""; fi; fi'];
}
