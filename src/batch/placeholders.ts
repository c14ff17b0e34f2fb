import { type ShellContext, walkShell } from './shell-contexts.js';
import type { JobParams } from './types.js';

/** What a command's placeholders can name besides the job's params. */
export interface PlaceholderContext {
  readonly params: JobParams;
  readonly job: string;
  readonly batch: string;
}

/**
 * A placeholder: `{name}` or `{a.b}`, names of letters, digits, `_` and `-`. Anything else in
 * braces (`${HOME}`, `{a,b}`, awk's `{print $1}`, JSON) is the shell's and stays as written;
 * `{{` and `}}` are literal braces.
 */
const token = /\{\{|\}\}|\{([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*)\}/y;

/** Characters a word may hold without quotes for POSIX `sh`. */
const plainWord = /^[\w@%+=:,./-]+$/;

/** `value` as one word for POSIX `sh`, quoted only when it must be: nothing in it is ever shell syntax. */
export function shellWord(value: string): string {
  return value !== '' && plainWord.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Text as it reads inside `"…"`: the four characters special there escaped. */
function inDoubleQuotes(text: string): string {
  return text.replace(/[\\"$`]/g, '\\$&');
}

/** Text as it reads inside `'…'`: a quote closes, is escaped, and opens again. */
function inSingleQuotes(text: string): string {
  return text.replace(/'/g, `'\\''`);
}

/** Why no value can stand in a context, and what to write instead ({NAME}: the placeholder). */
const unquotable: Partial<Record<ShellContext, string>> = {
  backtick: 'inside `…`, where the shell reads text twice: write $(…) instead',
  arithmetic:
    "inside $((…)), where bash evaluates a value as code and only a number may stand: this one is not (pass it to a program instead: awk -v n={NAME} 'BEGIN { print n * 2 }')",
  ansi: "inside $'…': write '…' or \"…\" instead",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell text, not a template
  param: 'inside ${…}, whose quoting bash and dash read differently: put it in a variable first (v={NAME}; … ${X:-$v})',
  heredoc:
    "inside a here-document, whose lines are read before any value is quoted: write it with printf '%s\\n' {NAME} > FILE, or read $HYPERCTL_JOB_PARAMS_FILE",
};

/** A param's value as text: strings as they are, everything else as JSON writes it. */
function textOf(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** What a placeholder puts in the command: words (`{args}` is several) and how `{data_dir}` reads. */
type Filling = { readonly words: readonly string[] } | { readonly variable: string };

/**
 * The command with its placeholders replaced, every value quoted for where it stands — a bare
 * word, inside `"…"`, inside `'…'` — so that nothing in a value is ever shell syntax: `{lr}` and
 * `{a.b}` (a param, or a field of one), `{args}` (`--name=value` for every param, in order),
 * `{args_no_hyphens}` (`name=value`), `{job}`, `{batch}`, `{data_dir}`. Returns instead the first
 * placeholder it cannot fill (`unknown`), or why one stands where no value can be quoted
 * (`refused`: in backticks, `$'…'`, `${…}`, a here-document; in arithmetic, anything but a number).
 */
export function expandCommand(
  command: string,
  context: PlaceholderContext,
): { readonly command: string } | { readonly unknown: string } | { readonly refused: string } {
  let unknown: string | undefined;
  let refused: string | undefined;
  let out = '';
  let copied = 0;
  walkShell(command, (index, where) => {
    token.lastIndex = index;
    const match = token.exec(command);
    if (!match) return 0;
    const [text, name] = match;
    let put: string;
    if (text === '{{') put = '{';
    else if (text === '}}') put = '}';
    else {
      const filling = lookup(name!, context);
      if (filling === undefined) {
        unknown ??= name;
        put = text;
      } else if (where === 'arithmetic' && isNumber(filling)) put = (filling as { words: string[] }).words[0]!;
      else if (unquotable[where]) {
        refused ??= `{${name}} stands ${unquotable[where].replaceAll('{NAME}', `{${name}}`)}`;
        put = text;
      } else put = fill(filling, where);
    }
    out += command.slice(copied, index) + put;
    copied = index + text.length;
    return text.length;
  });
  out += command.slice(copied);
  if (unknown !== undefined) return { unknown };
  return refused !== undefined ? { refused } : { command: out };
}

/** A single number as JSON writes it: the one value that stands in arithmetic as itself. */
function isNumber(filling: Filling): boolean {
  return 'words' in filling && filling.words.length === 1 && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(filling.words[0]!);
}

/** A filling as it reads where it stands. */
function fill(filling: Filling, where: ShellContext): string {
  if ('variable' in filling) return where === 'double' ? `\${${filling.variable}}` : where === 'single' ? `'"$${filling.variable}"'` : `"$${filling.variable}"`;
  if (where === 'double') return inDoubleQuotes(filling.words.join(' '));
  if (where === 'single') return inSingleQuotes(filling.words.join(' '));
  return filling.words.map(shellWord).join(' ');
}

function lookup(name: string, { params, job, batch }: PlaceholderContext): Filling | undefined {
  const entries = Object.entries(params);
  if (name === 'args') return { words: entries.map(([key, value]) => `--${key}=${textOf(value)}`) };
  if (name === 'args_no_hyphens') return { words: entries.map(([key, value]) => `${key}=${textOf(value)}`) };
  if (name === 'job') return { words: [job] };
  if (name === 'batch') return { words: [batch] };
  // The job's shell knows its data folder wherever it runs (on a remote machine it is not this machine's path).
  if (name === 'data_dir') return { variable: 'HYPERCTL_JOB_DATA_DIR' };
  let value: unknown = params;
  for (const key of name.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value === undefined ? undefined : { words: [textOf(value)] };
}

/** The placeholders a command may use with these params, for an error that names an unknown one: `{lr}, {args}, …`. */
export function placeholderNames(params: Readonly<Record<string, unknown>>): string {
  return [...Object.keys(params), 'args', 'args_no_hyphens', 'job', 'batch', 'data_dir'].map((n) => `{${n}}`).join(', ');
}
