import { dirname } from 'node:path';
import { generateBatch, type JobTemplate, parseTemplate } from '../batch/generate.js';
import { normalizeBatch } from '../batch/normalize.js';
import { batchSchema } from '../batch/schema.js';
import type { BatchSpec, JobSpec } from '../batch/spec.js';
import { invalid, parseWith } from '../batch/validate.js';

/** What a batch's own config decides, which jobs added to it cannot change. */
const batchOwnKeys = ['name', 'backend', 'daemon', 'halt', 'early_stopping', 'version'] as const;

/**
 * The jobs of `config` — a config with `jobs` (and `job_defaults`), or a job template whose grid
 * they are — as jobs of the running batch `spec`: validated and filled in as its own were (paths
 * against `baseDir`), under names it does not have. `E_CONFIG_INVALID` naming the field otherwise.
 */
export function jobsToAdd(config: unknown, baseDir: string, spec: BatchSpec, has: (name: string) => boolean): readonly JobSpec[] {
  const isObject = typeof config === 'object' && config !== null && !Array.isArray(config);
  const template = isObject && 'params' in config && !('jobs' in config);
  const batch = template ? generateBatch(parseTemplate(config) as JobTemplate) : config;
  const input = parseWith(batchSchema, batch, 'E_CONFIG_INVALID');
  const issues = batchOwnKeys
    .filter((key) => input[key] !== undefined)
    .map((key) => `${key}: the batch's own is kept; jobs added to it take jobs and job_defaults only`);
  input.jobs.forEach((job, index) => {
    if (job.name !== undefined && has(job.name)) issues.push(`jobs[${index}].name: batch ${spec.name} has a job "${job.name}" already`);
  });
  if (issues.length > 0) throw invalid('E_CONFIG_INVALID', issues);
  const { jobs } = normalizeBatch(
    { jobs: input.jobs, ...(input.job_defaults ? { job_defaults: input.job_defaults } : {}), name: spec.name },
    { baseDir, batchesDataDir: dirname(spec.dataDir), workingDirsElsewhere: spec.backend.type !== 'local' },
  );
  // Names made from params can clash too: known only once they are made.
  const clashes = jobs.flatMap((job, index) => (has(job.name) ? [`jobs[${index}].name: batch ${spec.name} has a job "${job.name}" already`] : []));
  if (clashes.length > 0) throw invalid('E_CONFIG_INVALID', clashes);
  return jobs;
}
