import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { configFileNames, HyperctlError } from '../src/index.js';

/** The config file to run: the one given, else the first `hyperctl.config.*` in `cwd`. */
export function findConfigFile(given: string | undefined, cwd = process.cwd()): string {
  if (given) return resolve(cwd, given);
  const found = configFileNames.map((name) => join(cwd, name)).find((path) => existsSync(path));
  if (!found) throw new HyperctlError('E_USAGE', `no --config given and none of ${configFileNames.join(', ')} in ${cwd}`);
  return found;
}
