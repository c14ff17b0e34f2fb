import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseDocument } from 'yaml';
import { HyperctlError } from '../errors.js';

const codeExtensions = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs']);

/** The config file names `hyperctl run` looks for, in order, when given none. */
export const defaultConfigNames = ['hyperctl.config.ts', 'hyperctl.config.mts', 'hyperctl.config.js', 'hyperctl.config.mjs', 'hyperctl.config.json', 'hyperctl.config.yaml', 'hyperctl.config.yml'];

/**
 * Reads a batch config or template: JSON, YAML, or a TypeScript/JavaScript module whose default
 * export is the config (or a function returning it). Syntax errors name file, line and column.
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
  return ext === '.json' ? parseJson(text, path) : parseYaml(text, path);
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message)?.[1];
    const where = position === undefined ? '' : `:${lineAndColumn(text, Number(position))}`;
    const reason = message.replace(/ in JSON at position \d+.*$/, '').replace(/^JSON\.parse: /, '');
    throw new HyperctlError('E_CONFIG_PARSE', `${path}${where}: invalid JSON: ${reason}`, { cause: error });
  }
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `${line}:${offset - before.lastIndexOf('\n')}`;
}

function parseYaml(text: string, path: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const error = doc.errors[0];
  if (error) {
    const pos = error.linePos?.[0];
    const where = pos ? `:${pos.line}:${pos.col}` : '';
    throw new HyperctlError('E_CONFIG_PARSE', `${path}${where}: invalid YAML: ${error.message.split('\n')[0]}`, { cause: error });
  }
  return doc.toJS();
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
  return typeof exported === 'function' ? await (exported as () => unknown)() : exported;
}
