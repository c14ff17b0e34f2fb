import { normalizeBatch } from '../batch/normalize.js';
import { batchSchema } from '../batch/schema.js';
import type { BatchSpec } from '../batch/spec.js';
import { parseWith } from '../batch/validate.js';
import { resolveBatchesDataDir } from '../paths.js';
import type { RunBatchOptions } from './options.js';

/** Validates a config from anywhere (file, code) and fills in its defaults. */
export function prepareBatch(config: unknown, options: RunBatchOptions, where?: string): BatchSpec {
  const isObject = typeof config === 'object' && config !== null && !Array.isArray(config);
  const overrides = { ...(options.halt ? { halt: options.halt } : {}), ...(options.name !== undefined ? { name: options.name } : {}) };
  const input = parseWith(batchSchema, isObject && Object.keys(overrides).length > 0 ? { ...config, ...overrides } : config, 'E_CONFIG_INVALID', where);
  return normalizeBatch(
    input,
    {
      baseDir: options.baseDir ?? process.cwd(),
      batchesDataDir: resolveBatchesDataDir(options.batchesDataDir),
      ...(options.defaultName !== undefined ? { defaultName: options.defaultName } : {}),
      ...(options.parallelism !== undefined ? { parallelism: options.parallelism } : {}),
    },
    where,
  );
}
