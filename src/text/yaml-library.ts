import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

let loaded: typeof Yaml | undefined;

/**
 * The YAML library, loaded when first needed: loading it is a tenth of a second of every start,
 * and most commands (`batch best`, `batch show`, `--help`) read no YAML.
 */
export function yamlLibrary(): typeof Yaml {
  loaded ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return loaded;
}
