import { dirname } from 'node:path';
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { batchFieldsOf, generateJobs, type JobTemplate, parseTemplate } from '../batch/generate.js';
import { fromHypernets, inWrittenTerms } from '../batch/hypernets-read.js';
import { normalizeBatch } from '../batch/normalize.js';
import { batchSchema } from '../batch/schema.js';
import type { BatchSpec, JobSpec } from '../batch/spec.js';
import { invalid, parseWith } from '../batch/validate.js';
import { isHyperctlError } from '../errors.js';
import { isPlainObject } from '../plain-object.js';
import { backendOf } from '../executors/backends/backend-of.js';

/** What a batch's own config decides, which jobs added to it cannot change. */
const batchOwnKeys = ['name', 'backend', 'daemon', 'halt', 'early_stopping', 'version', 'independent_tmp', 'pause_file'] as const;

/**
 * The most jobs (or a search's trials) one `batch add` brings. Each is validated, journalled and
 * kept by the running batch; a larger grid is a new batch (or several adds).
 * @public
 */
export const maxAddedJobs = 10_000;

/** Jobs validated between two turns of the event loop, so the daemon answers others meanwhile (~5 ms). */
const sliceSize = 250;

/**
 * The jobs of `config` — a config with `jobs` (and `job_defaults`), or a job template whose grid
 * they are — as jobs of the running batch `spec`: validated and filled in as its own were (paths
 * against `baseDir`), under names it does not have. `E_CONFIG_INVALID` naming the field otherwise,
 * also for more than {@link maxAddedJobs} jobs (counted before any is made).
 */
export async function jobsToAdd(config: unknown, baseDir: string, spec: BatchSpec, has: (name: string) => boolean): Promise<readonly JobSpec[]> {
  // Written in Hypernets' later format (`job_command`, jobs' `assets`): read as hyperctl's own, said in its terms.
  const moved = fromHypernets(config, { batchDefaults: false });
  if (moved.issues.length > 0) throw invalid('E_CONFIG_INVALID', moved.issues);
  try {
    return await ownJobsToAdd(moved.config, baseDir, spec, has);
  } catch (error) {
    throw inWrittenTerms(error, moved);
  }
}

async function ownJobsToAdd(config: unknown, baseDir: string, spec: BatchSpec, has: (name: string) => boolean): Promise<readonly JobSpec[]> {
  const isObject = isPlainObject(config);
  const { head, jobs, count, field } =
    isObject && 'params' in config && !('jobs' in config) ? fromTemplate(config) : fromConfig(config as Record<string, unknown>);
  if (count > maxAddedJobs)
    throw invalid('E_CONFIG_INVALID', [
      `${field}: ${count.toLocaleString('en-US')} jobs; one batch add takes at most ${maxAddedJobs.toLocaleString('en-US')} (add them in parts, or run them as a batch of their own)`,
    ]);
  const issues = batchOwnKeys
    .filter((key) => head[key] !== undefined)
    .map((key) => `${key}: the batch's own is kept; jobs added to it take jobs and job_defaults only`);
  // The rest (job_defaults, and any unknown key) is validated with the first jobs; job_defaults with every slice.
  const rest = Object.fromEntries(Object.entries(head).filter(([key]) => !(batchOwnKeys as readonly string[]).includes(key)));
  const defaults = head.job_defaults !== undefined ? { job_defaults: head.job_defaults } : {};
  const seen = new Set<string>();
  const added: JobSpec[] = [];
  const names = new Set<string>();
  let slice: unknown[] = [];
  let offset = 0;
  const take = async () => {
    const made = normalized({ ...(offset === 0 ? rest : defaults), jobs: slice }, offset, baseDir, spec);
    if (!made.ok) {
      // job_defaults' issues come again with every slice: said once.
      for (const issue of made.issues) if (!seen.has(issue)) issues.push(issue);
      for (const issue of made.issues) seen.add(issue);
    } else
      made.jobs.forEach((job, i) => {
        if (has(job.name) || names.has(job.name))
          issues.push(`jobs[${offset + i}].name: ${names.has(job.name) ? 'another added job' : `batch ${spec.name}`} has a job "${job.name}" already`);
        names.add(job.name);
        added.push(job);
      });
    offset += slice.length;
    slice = [];
    await yieldToEvents();
  };
  for (const job of jobs) {
    slice.push(job);
    if (slice.length === sliceSize) await take();
  }
  if (slice.length > 0) await take();
  if (issues.length > 0) throw invalid('E_CONFIG_INVALID', issues);
  return added;
}

function fromTemplate(config: object): { head: Record<string, unknown>; jobs: Iterable<unknown>; count: number; field: string } {
  const valid = parseTemplate(config);
  const count = Object.values(valid.params).reduce((product, values) => product * values.length, 1);
  return { head: batchFieldsOf(valid), jobs: generateJobs(valid as JobTemplate), count, field: 'params' };
}

function fromConfig(config: Record<string, unknown>): { head: Record<string, unknown>; jobs: Iterable<unknown>; count: number; field: string } {
  if (typeof config !== 'object' || config === null || Array.isArray(config) || !Array.isArray(config.jobs)) {
    parseWith(batchSchema, config, 'E_CONFIG_INVALID');
    throw invalid('E_CONFIG_INVALID', ['jobs: expected a list']);
  }
  const { jobs, ...head } = config;
  return { head, jobs, count: jobs.length, field: 'jobs' };
}

/** One slice of added jobs, validated and filled in; else its issues, naming each job by its place in the whole add. */
function normalized(
  config: { readonly jobs: readonly unknown[] },
  offset: number,
  baseDir: string,
  spec: BatchSpec,
): { readonly ok: true; readonly jobs: readonly JobSpec[] } | { readonly ok: false; readonly issues: readonly string[] } {
  try {
    const input = parseWith(batchSchema, config, 'E_CONFIG_INVALID');
    const { jobs } = normalizeBatch(
      { jobs: input.jobs, ...(input.job_defaults ? { job_defaults: input.job_defaults } : {}), name: spec.name },
      { baseDir, batchesDataDir: dirname(spec.dataDir), workingDirsElsewhere: backendOf(spec.backend).foldersElsewhere },
    );
    return { ok: true, jobs };
  } catch (error) {
    if (!isHyperctlError(error)) throw error;
    return { ok: false, issues: error.issues.map((issue) => issue.replace(/^jobs\[(\d+)\]/, (_, index: string) => `jobs[${Number(index) + offset}]`)) };
  }
}
