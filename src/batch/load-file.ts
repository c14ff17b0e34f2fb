import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { yamlLibrary } from '../lazy-library.js';
import { HyperctlError } from '../errors.js';
import { formatPath } from './field-path.js';
import { findDuplicateKey } from './json-duplicate-keys.js';
import { jsonErrorOffset } from './json-error-offset.js';

const codeExtensions = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs']);
const dataExtensions = new Set(['.json', '.yaml', '.yml']);

/**
 * The config file names `hyperctl run` looks for in the current folder, in order, when given none.
 * @public
 */
export const configFileNames = [
  'hyperctl.config.ts',
  'hyperctl.config.mts',
  'hyperctl.config.js',
  'hyperctl.config.mjs',
  'hyperctl.config.json',
  'hyperctl.config.yaml',
  'hyperctl.config.yml',
];

/**
 * Reads a batch config or template: JSON, YAML, or a TypeScript/JavaScript module whose default
 * export is the config (or a function returning it). Syntax errors name file, line and column.
 * @public
 */
export async function loadConfigFile(path: string): Promise<unknown> {
  const file = resolve(path);
  const ext = extname(file).toLowerCase();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new HyperctlError('E_CONFIG_NOT_FOUND', `${path}: cannot read file (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { cause: error });
  }
  if (codeExtensions.has(ext)) return loadModule(file, path);
  if (!dataExtensions.has(ext))
    throw new HyperctlError(
      'E_CONFIG_PARSE',
      `${path}: ${ext ? `"${ext}" files are not configs hyperctl reads` : 'a file without an extension is not a config hyperctl reads'}; expected .json, .yaml, .yml, .ts, .mts, .cts, .js, .mjs or .cjs`,
    );
  // A byte order mark is what some editors put first; it is no part of the config.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return ext === '.json' ? parseJson(text, path) : parseYaml(text, path);
}

function parseJson(text: string, path: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message)?.[1] ?? jsonErrorOffset(text);
    const where = position === undefined ? '' : `:${lineAndColumn(text, Number(position))}`;
    const reason = message.replace(/ in JSON at position \d+.*$/, '').replace(/^JSON\.parse: /, '');
    throw new HyperctlError('E_CONFIG_PARSE', `${path}${where}: invalid JSON: ${reason}`, { cause: error });
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate) {
    const at = formatPath(duplicate.path);
    throw new HyperctlError(
      'E_CONFIG_PARSE',
      `${path}:${lineAndColumn(text, duplicate.offset)}: invalid JSON: duplicate key ${JSON.stringify(duplicate.key)}${at === '(root)' ? '' : ` in ${at}`}`,
    );
  }
  return value;
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `${line}:${offset - before.lastIndexOf('\n')}`;
}

function parseYaml(text: string, path: string): unknown {
  let doc: ReturnType<ReturnType<typeof yamlLibrary>['parseDocument']>;
  try {
    doc = yamlLibrary().parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  } catch (error) {
    throw new HyperctlError('E_CONFIG_PARSE', `${path}: invalid YAML: ${(error as Error).message}`, { cause: error });
  }
  const error = doc.errors[0];
  if (error) {
    const pos = error.linePos?.[0];
    const where = pos ? `:${pos.line}:${pos.col}` : '';
    // The parser's first line, without its own "at line L, column C:" (said before it), then the line itself with a caret.
    const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    const source = pos ? text.split('\n')[pos.line - 1] : undefined;
    const shown =
      source !== undefined
        ? `\n  ${pos!.line} | ${source.slice(0, 200)}\n  ${' '.repeat(String(pos!.line).length)} | ${' '.repeat(Math.min(pos!.col - 1, 200))}^`
        : '';
    throw new HyperctlError('E_CONFIG_PARSE', `${path}${where}: invalid YAML: ${message}${shown}`, { cause: error });
  }
  try {
    return doc.toJS();
  } catch (error) {
    // Aliases are resolved here: one to nothing, or too many (a "billion laughs"), is refused here.
    throw new HyperctlError('E_CONFIG_PARSE', `${path}: invalid YAML: ${(error as Error).message}`, { cause: error });
  }
}

async function loadModule(file: string, path: string): Promise<unknown> {
  let mod: { default?: unknown };
  try {
    const { createJiti } = await import('jiti');
    const jiti = createJiti(pathToFileURL(file).href, { moduleCache: false, fsCache: false });
    mod = (await jiti.import(file)) as { default?: unknown };
  } catch (error) {
    throw new HyperctlError('E_CONFIG_PARSE', `${path}: cannot load module: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
  const exported = mod.default ?? mod;
  if (typeof exported !== 'function') return exported;
  try {
    return await (exported as () => unknown)();
  } catch (error) {
    throw new HyperctlError(
      'E_CONFIG_PARSE',
      `${path}: the function it exports failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
      { cause: error },
    );
  }
}
