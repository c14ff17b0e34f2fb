import { randomBytes } from 'node:crypto';
import { generateBatch, type JobTemplate, parseTemplate } from '../batch/generate.js';
import { normalizeBatch } from '../batch/normalize.js';
import { normalizeSearch } from '../search/normalize-search.js';
import { batchSchema, searchTemplateSchema } from '../batch/schema.js';
import type { BatchSpec, SearchSpec } from '../batch/spec.js';
import { fromHypernets, inWrittenTerms } from '../batch/hypernets-read.js';
import { invalid, parseWith } from '../batch/validate.js';
import { objectivesText } from '../results/objective.js';
import { resolveBatchesDataDir } from '../paths.js';
import { readSpec } from '../store/read-batch.js';
import { HyperctlError } from '../errors.js';
import type { RunBatchOptions } from './options.js';
import { isPlainObject } from '../plain-object.js';

/**
 * Validates a config from anywhere (file, code) and fills in its defaults. A config with `params`
 * and no `jobs` is a job template: with a `search` section a search, else the grid of its lists.
 * Either may be written in the format of Hypernets' later releases: it is read as hyperctl's own,
 * and what is wrong is said in the terms the file wrote.
 */
export function prepareBatch(config: unknown, options: RunBatchOptions, where?: string): BatchSpec {
  const moved = fromHypernets(config);
  if (moved.issues.length > 0) throw invalid('E_CONFIG_INVALID', moved.issues, where);
  try {
    return prepareOwn(moved.config, options, where);
  } catch (error) {
    throw inWrittenTerms(error, moved, where);
  }
}

function prepareOwn(config: unknown, options: RunBatchOptions, where?: string): BatchSpec {
  const isObject = isPlainObject(config);
  const overrides = { ...(options.halt ? { halt: options.halt } : {}), ...(options.name !== undefined ? { name: options.name } : {}) };
  const withOverrides = isObject && Object.keys(overrides).length > 0 ? { ...config, ...overrides } : config;
  const normalizeOptions = {
    baseDir: options.baseDir ?? process.cwd(),
    batchesDataDir: resolveBatchesDataDir(options.batchesDataDir),
    ...(options.defaultName !== undefined ? { defaultName: options.defaultName } : {}),
    ...(options.parallelism !== undefined ? { parallelism: options.parallelism } : {}),
  };
  // A search's params may all come from its NNI space file: it needs no `params` of its own.
  const spaceOnly =
    isObject &&
    typeof (config as { search?: unknown }).search === 'object' &&
    (config as { search?: { space_file?: unknown } }).search?.space_file !== undefined;
  const template = isObject && ('params' in config || spaceOnly) && !('jobs' in config);
  // The spec an earlier run left, read once: it gives the seed and what must not have changed.
  const read = new Map<string, BatchSpec | undefined>();
  const previous = (name: string) => {
    if (!read.has(name)) {
      try {
        read.set(name, readSpec(normalizeOptions.batchesDataDir, name));
      } catch {
        read.set(name, undefined);
      }
    }
    return read.get(name);
  };
  if (template && 'search' in config) {
    const input = parseWith(searchTemplateSchema, withOverrides, 'E_CONFIG_INVALID', where);
    // Without a seed in the config, a search keeps the one it started with: its resume stays exact.
    const spec = normalizeSearch(input, { ...normalizeOptions, seed: (name) => previous(name)?.search?.seed ?? randomBytes(4).readUInt32BE() }, where);
    checkSearchUnchanged(spec, previous(spec.name), options.continueSearch === true);
    return spec;
  }
  const batch = template ? generateBatch(parseTemplate(withOverrides, where) as JobTemplate) : withOverrides;
  const input = parseWith(batchSchema, batch, 'E_CONFIG_INVALID', where);
  const spec = normalizeBatch(input, normalizeOptions, where);
  if (!options.dropJobs) checkJobsKept(spec, previous(spec.name));
  return spec;
}

/**
 * A batch run again under its name with a config that lists fewer jobs would drop the others from
 * every view while their folders stay: refused, saying which and how to go on.
 */
function checkJobsKept(spec: BatchSpec, previous: BatchSpec | undefined): void {
  if (!previous || previous.search) return;
  const now = new Set(spec.jobs.map((job) => job.name));
  const dropped = previous.jobs.map((job) => job.name).filter((name) => !now.has(name));
  if (dropped.length === 0) return;
  const named = `${dropped.slice(0, 5).join(', ')}${dropped.length > 5 ? `, … (${dropped.length} in all)` : ''}`;
  throw new HyperctlError(
    'E_BATCH_CHANGED',
    `batch "${spec.name}" has ${dropped.length} job(s) from an earlier run that this config does not list (${named}): run it under another name (--batch-name, or name: in the config) to keep both, or drop them from its views (hyperctl run --drop-jobs, or dropJobs: true; their folders stay)`,
  );
}

/** A search's objectives as a change names them: `loss min, latency_ms min`, or `none`. */
function objectivesOf(search: SearchSpec): string {
  return search.objectives ? objectivesText(search.objectives) : 'none';
}

/**
 * A search run again must search the same way, or its trials so far mean something else: a changed
 * space, algorithm, seed, metric, goal, objectives or joint modelling is an error, unless the
 * caller asks to continue anyway.
 */
function checkSearchUnchanged(spec: BatchSpec, previous: BatchSpec | undefined, continueAnyway: boolean): void {
  const before = previous?.search;
  const now = spec.search!;
  if (!before || continueAnyway) return;
  const changed = [
    JSON.stringify(before.space) !== JSON.stringify(now.space) ? 'params (the space)' : undefined,
    before.algorithm !== now.algorithm ? `search.algorithm (${before.algorithm} → ${now.algorithm})` : undefined,
    before.seed !== now.seed ? `search.seed (${before.seed} → ${now.seed})` : undefined,
    before.metric !== now.metric ? `search.metric (${before.metric ?? 'none'} → ${now.metric ?? 'none'})` : undefined,
    before.goal !== now.goal ? `search.goal (${before.goal} → ${now.goal})` : undefined,
    objectivesOf(before) !== objectivesOf(now) ? `search.metrics (${objectivesOf(before)} → ${objectivesOf(now)})` : undefined,
    Boolean(before.multivariate) !== Boolean(now.multivariate)
      ? `search.multivariate (${Boolean(before.multivariate)} → ${Boolean(now.multivariate)})`
      : undefined,
  ].filter((c) => c !== undefined);
  if (changed.length > 0)
    throw new HyperctlError(
      'E_SEARCH_CHANGED',
      `search "${spec.name}" was started with other settings: ${changed.join(', ')} changed; its trials so far would mislead it. Give it another name to start afresh, or continue anyway (hyperctl run --continue-search, or continueSearch: true)`,
    );
}
