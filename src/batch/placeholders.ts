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
const token = /\{\{|\}\}|(?<!\$)\{([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*)\}/g;

/** Characters a word may hold without quotes for POSIX `sh`. */
const plainWord = /^[\w@%+=:,./-]+$/;

/** `value` as one word for POSIX `sh`, quoted only when it must be: nothing in it is ever shell syntax. */
export function shellWord(value: string): string {
  return value !== '' && plainWord.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A param's value as text: strings as they are, everything else as JSON writes it. */
function textOf(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * The command with its placeholders replaced, every value shell-quoted: `{lr}` and `{a.b}` (a
 * param, or a field of one), `{args}` (`--name=value` for every param, in order), `{args_no_hyphens}`
 * (`name=value`), `{job}`, `{batch}`, `{data_dir}`. Returns the placeholder it cannot fill instead
 * when there is one.
 */
export function expandCommand(command: string, context: PlaceholderContext): { readonly command: string } | { readonly unknown: string } {
  let unknown: string | undefined;
  const expanded = command.replace(token, (match, name: string | undefined) => {
    if (match === '{{') return '{';
    if (match === '}}') return '}';
    const value = lookup(name!, context);
    if (value === undefined) unknown ??= name;
    return value ?? match;
  });
  return unknown === undefined ? { command: expanded } : { unknown };
}

function lookup(name: string, { params, job, batch }: PlaceholderContext): string | undefined {
  const entries = Object.entries(params);
  if (name === 'args') return entries.map(([key, value]) => shellWord(`--${key}=${textOf(value)}`)).join(' ');
  if (name === 'args_no_hyphens') return entries.map(([key, value]) => shellWord(`${key}=${textOf(value)}`)).join(' ');
  if (name === 'job') return shellWord(job);
  if (name === 'batch') return shellWord(batch);
  // The job's shell knows its data folder wherever it runs (on a remote machine it is not this machine's path).
  if (name === 'data_dir') return '"$HYPERCTL_JOB_DATA_DIR"';
  let value: unknown = params;
  for (const key of name.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value === undefined ? undefined : shellWord(textOf(value));
}

/** The placeholders a command may use with these params, for an error that names an unknown one: `{lr}, {args}, …`. */
export function placeholderNames(params: Readonly<Record<string, unknown>>): string {
  return [...Object.keys(params), 'args', 'args_no_hyphens', 'job', 'batch', 'data_dir'].map((n) => `{${n}}`).join(', ');
}
