import { existsSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { defaultConfigNames } from '../src/batch/load-file.js';
import { canonicalJson, shortHash } from '../src/batch/names.js';
import { HyperctlError } from '../src/errors.js';

/** The config file to run: the one given, else the first `hyperctl.config.*` in `cwd`. */
export function findConfigFile(given: string | undefined, cwd = process.cwd()): string {
  if (given) return resolve(cwd, given);
  const found = defaultConfigNames.map((name) => join(cwd, name)).find((path) => existsSync(path));
  if (!found) throw new HyperctlError('E_USAGE', `no --config given and none of ${defaultConfigNames.join(', ')} in ${cwd}`);
  return found;
}

/**
 * The batch name of a config file that names none: its base name and a hash of its path, so
 * re-running the same file resumes it and two `batch.json` in different folders stay apart.
 */
export function defaultBatchName(file: string): string {
  let stem = basename(file, extname(file)).replace(/\.config$/, '');
  if (stem === 'hyperctl') stem = basename(dirname(file));
  stem = stem.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[-.]+/, '') || 'batch';
  return `${stem}-${shortHash(canonicalJson(file), 6)}`;
}
