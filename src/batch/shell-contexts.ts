/**
 * Where a spot of a `sh` command stands, for the quoting of what is put there: a bare word, inside
 * `"…"`, inside `'…'`, or somewhere no text can be put safely at all.
 */
export type ShellContext =
  | 'bare'
  | 'double'
  | 'single'
  /** `` `…` ``: its text is read twice, with backslashes taken away first. */
  | 'backtick'
  /** `$((…))`, `((…))`: bash evaluates a variable's text there as an expression, `$(…)` included. */
  | 'arithmetic'
  /** bash's `$'…'`: escapes of its own, unknown to POSIX sh. */
  | 'ansi'
  /** The body of a here-document: its lines are read before any value could be quoted. */
  | 'heredoc'
  /** `${…}`: bash and dash read quotes inside it differently. */
  | 'param';

type Frame =
  | { readonly kind: 'bare' | 'double' | 'single' | 'backtick' | 'ansi' }
  /** `$(…)`: a command of its own; `depth` counts its open parentheses. */
  | { readonly kind: 'subst'; depth: number }
  | { readonly kind: 'arithmetic'; depth: number }
  /** `${…}`: takes the quoting of where it stands. */
  | { readonly kind: 'param'; depth: number };

/** A here-document whose body starts on the next line. */
interface PendingHeredoc {
  readonly delimiter: string;
  readonly stripTabs: boolean;
}

/**
 * Walks `command` as POSIX sh (and bash) would read its quoting, calling `at(index)` at each
 * position a token may start: `at` returns how many characters it consumed there (0: none, go on
 * reading the shell's text). `context()` says where the current position stands.
 */
export function walkShell(command: string, at: (index: number, context: ShellContext) => number): void {
  const stack: Frame[] = [{ kind: 'bare' }];
  const top = () => stack[stack.length - 1]!;
  const context = (): ShellContext => {
    // Inside `${…}` (up to a `$(…)` of its own), whatever quotes stand between.
    for (let i = stack.length - 1; i >= 0; i--) {
      const kind = stack[i]!.kind;
      if (kind === 'subst') break;
      if (kind === 'param') return 'param';
    }
    const kind = top().kind;
    return kind === 'subst' ? 'bare' : (kind as ShellContext);
  };
  let comment = false;
  let pending: PendingHeredoc[] = [];
  let i = 0;
  while (i < command.length) {
    const taken = at(i, context());
    if (taken > 0) {
      i += taken;
      continue;
    }
    const frame = top();
    const c = command[i]!;
    const next = command[i + 1];
    if (comment && c !== '\n') {
      i++;
      continue;
    }
    comment = false;
    if (frame.kind === 'single') {
      if (c === "'") stack.pop();
      i++;
      continue;
    }
    if (frame.kind === 'ansi') {
      if (c === '\\') i += 2;
      else {
        if (c === "'") stack.pop();
        i++;
      }
      continue;
    }
    // A backslash escapes the next character (in double quotes only some, but never a placeholder's brace).
    if (c === '\\') {
      i += next === '{' ? 1 : 2;
      continue;
    }
    if (frame.kind === 'backtick' && c === '`') {
      stack.pop();
      i++;
      continue;
    }
    if (c === '$' && next === '(' && command[i + 2] === '(') {
      stack.push({ kind: 'arithmetic', depth: 0 });
      i += 3;
      continue;
    }
    if (c === '$' && next === '(') {
      stack.push({ kind: 'subst', depth: 0 });
      i += 2;
      continue;
    }
    if (c === '$' && next === '{') {
      stack.push({ kind: 'param', depth: 0 });
      i += 2;
      continue;
    }
    if (c === '`') {
      stack.push({ kind: 'backtick' });
      i++;
      continue;
    }
    if (frame.kind === 'double') {
      if (c === '"') stack.pop();
      i++;
      continue;
    }
    if (frame.kind === 'arithmetic') {
      if (c === '(') frame.depth++;
      else if (c === ')' && frame.depth > 0) frame.depth--;
      else if (c === ')' && next === ')') {
        stack.pop();
        i += 2;
        continue;
      }
      i++;
      continue;
    }
    if (frame.kind === 'param' && c === '}') {
      if (frame.depth === 0) stack.pop();
      else frame.depth--;
      i++;
      continue;
    }
    if (frame.kind === 'param' && c === '{') frame.depth++;
    // What is left is a command's text: bare, in `$(…)`, or in `${…}` outside double quotes.
    if (c === "'") stack.push({ kind: 'single' });
    else if (c === '$' && next === "'") {
      stack.push({ kind: 'ansi' });
      i += 2;
      continue;
    } else if (c === '"') stack.push({ kind: 'double' });
    else if (c === '(' && next === '(' && (frame.kind === 'bare' || frame.kind === 'subst') && atCommandStart(command, i)) {
      stack.push({ kind: 'arithmetic', depth: 0 });
      i += 2;
      continue;
    } else if (frame.kind === 'subst' && c === '(') frame.depth++;
    else if (frame.kind === 'subst' && c === ')') {
      if (frame.depth === 0) stack.pop();
      else frame.depth--;
    } else if (c === '#' && (i === 0 || /\s|[;&|()]/.test(command[i - 1]!))) {
      // A comment, to the end of its line (where a here-document's body may start): no quote in it counts.
      comment = true;
    } else if (c === '<' && next === '<' && command[i + 2] !== '<') {
      const heredoc = /^<<(-?)[ \t]*(?:'([^']*)'|"([^"]*)"|\\?([^\s;&|()<>'"]+))/.exec(command.slice(i));
      if (heredoc) {
        pending.push({ delimiter: heredoc[2] ?? heredoc[3] ?? heredoc[4]!, stripTabs: heredoc[1] === '-' });
        i += heredoc[0].length;
        continue;
      }
    } else if (c === '\n' && pending.length > 0) {
      i = skipHeredocs(command, i + 1, pending, at);
      pending = [];
      continue;
    }
    i++;
  }
}

/** Whether position `i` starts a command (so `((` there is bash's arithmetic, not two subshells). */
function atCommandStart(command: string, i: number): boolean {
  const before = command.slice(0, i).trimEnd();
  return before === '' || /[;&|\n(]$|\b(then|do|else|elif)$/.test(before);
}

/** Reads here-document bodies from `start` (each line offered to `at` as `heredoc`); the index after the last delimiter line. */
function skipHeredocs(command: string, start: number, pending: readonly PendingHeredoc[], at: (index: number, context: ShellContext) => number): number {
  let i = start;
  for (const { delimiter, stripTabs } of pending) {
    while (i < command.length) {
      const end = command.indexOf('\n', i) === -1 ? command.length : command.indexOf('\n', i);
      const line = command.slice(i, end);
      if ((stripTabs ? line.replace(/^\t+/, '') : line) === delimiter) {
        i = end + 1;
        break;
      }
      for (let j = i; j < end; ) j += Math.max(1, at(j, 'heredoc'));
      i = end + 1;
    }
  }
  return Math.min(i, command.length);
}
