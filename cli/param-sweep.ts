import { createHash } from 'node:crypto';
import { HyperctlError, type JobTemplate, type TemplateParamLists } from '../src/index.js';

type JsonValue = TemplateParamLists[string][number];

/** Every value of a repeatable string flag, in order (`--param a=1 --param=b=2`); citty keeps only the last. */
export function repeatedFlag(rawArgs: readonly string[], name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i]!;
    if (arg === '--') break;
    if (arg === `--${name}`) {
      const value = rawArgs[++i];
      if (value === undefined) throw new HyperctlError('E_USAGE', `--${name}: expected NAME=V1,V2,…`);
      // `--param lr 0.1,0.2`: the values given apart from the name.
      const next = rawArgs[i + 1];
      if (!value.includes('=') && next !== undefined && next !== '--' && !next.startsWith('-'))
        throw new HyperctlError('E_USAGE', `--${name} ${value} ${next}: expected NAME=V1,V2,…; did you mean --${name} ${value}=${next}?`);
      values.push(value);
    } else if (arg.startsWith(`--${name}=`)) values.push(arg.slice(name.length + 3));
  }
  return values;
}

/**
 * `lr=0.1,0.2` as `['lr', [0.1, 0.2]]`: values split at commas outside brackets, braces and
 * quotes (`\,` is a comma inside a value), each parsed as JSON where it parses, else kept as text.
 */
export function parseParamFlag(flag: string): [string, JsonValue[]] {
  const eq = flag.indexOf('=');
  const name = flag.slice(0, eq);
  if (eq <= 0 || !/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name))
    throw new HyperctlError('E_USAGE', `--param ${JSON.stringify(flag)}: expected NAME=V1,V2,… with a name of letters, digits, _ and - (e.g. lr=0.1,0.2)`);
  const values = splitValues(flag.slice(eq + 1)).map(parseValue);
  if (values.length === 1 && values[0] === '') throw new HyperctlError('E_USAGE', `--param ${name}: no values given (e.g. ${name}=0.1,0.2)`);
  return [name, values];
}

function splitValues(text: string): string[] {
  const values: string[] = [];
  let current = '';
  let depth = 0;
  let quote = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && text[i + 1] === ',' && !quote) {
      current += ',';
      i++;
      continue;
    }
    if (c === '"' && text[i - 1] !== '\\') quote = !quote;
    else if (!quote && (c === '[' || c === '{')) depth++;
    else if (!quote && (c === ']' || c === '}')) depth = Math.max(0, depth - 1);
    if (c === ',' && depth === 0 && !quote) {
      values.push(current);
      current = '';
    } else current += c;
  }
  values.push(current);
  return values;
}

function parseValue(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

/**
 * The template of `hyperctl run --param … -- COMMAND`: the grid of the flags' values. The command's
 * words are joined by spaces, as GNU Parallel does, so one quoted word may hold pipes and `&&`.
 */
export function sweepTemplate(paramFlags: readonly string[], command: readonly string[], name: string | undefined, cwd = process.cwd()): JobTemplate {
  const params: Record<string, JsonValue[]> = {};
  for (const flag of paramFlags) {
    const [key, values] = parseParamFlag(flag);
    if (key in params) throw new HyperctlError('E_USAGE', `--param ${key} is given twice; list all its values in one flag (${key}=V1,V2,…)`);
    const seen = new Set<string>();
    for (const value of values) {
      const text = JSON.stringify(value);
      if (seen.has(text)) throw new HyperctlError('E_USAGE', `--param ${key}: the value ${text} is given twice`);
      seen.add(text);
    }
    params[key] = values;
  }
  const commandLine = command.join(' ');
  // Jobs run where the line was typed, as GNU Parallel's do.
  return { params, execution: { command: commandLine, working_dir: cwd }, name: name ?? sweepName(commandLine, params, cwd) };
}

/** Programs that run the script named after them: the script names the sweep better. */
const interpreters = new Set([
  'python',
  'python3',
  'node',
  'bash',
  'sh',
  'zsh',
  'Rscript',
  'julia',
  'ruby',
  'perl',
  'uv',
  'run',
  'poetry',
  'npx',
  'tsx',
  'deno',
]);

/**
 * A stable name for a sweep from the command line: the script's base name and a hash of the command,
 * params and folder (`train-3f2a9c`), so running the same line in the same folder again resumes the
 * same batch, and the same line in another folder is another batch.
 */
export function sweepName(command: string, params: Readonly<Record<string, readonly JsonValue[]>>, cwd: string): string {
  const words = command.split(/\s+/).filter((w) => w && !w.startsWith('-') && !w.includes('=') && !w.includes('{'));
  const word = words.find((w) => !interpreters.has(w.split('/').pop()!)) ?? words[0] ?? 'sweep';
  const stem =
    word
      .split('/')
      .pop()!
      .replace(/\.[A-Za-z0-9]+$/, '')
      .replace(/[^A-Za-z0-9._-]/g, '_')
      .replace(/^[-._]+/, '')
      .slice(0, 40) || 'sweep';
  const hash = createHash('sha256')
    .update(JSON.stringify([command, params, cwd]))
    .digest('hex')
    .slice(0, 6);
  return `${stem}-${hash}`;
}
