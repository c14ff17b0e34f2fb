import * as v from 'valibot';
import { formatPath } from '../batch/field-path.js';
import { maskedBackend } from '../batch/masked-backend.js';
import type { BatchSpec } from '../batch/spec.js';
import { jobFromStored, type StoredJob, storedJob } from '../batch/stored-job.js';

/*
 * A batch's spec as its folder keeps it. What a job's fields repeat of the batch is left out:
 * its data folder when it is the batch's folder and its name, its working folder when it is its
 * data folder. A 100,000-job spec is read by every `batch` command, and those two absolute paths
 * were most of each job's bytes.
 */

/** The spec as stored: secrets never written, each job without what it repeats. */
export function storedSpec(spec: BatchSpec): unknown {
  const jobs = spec.jobs.map((job) => storedJob(spec.dataDir, job));
  return { ...spec, backend: maskedBackend(spec.backend), jobs };
}

const text = v.string();
const whole = v.pipe(v.number(), v.integer(), v.minValue(0));
/** What a stored spec must hold for the code that reads it; its jobs are checked one by one, below. */
const storedSchema = v.looseObject({
  name: text,
  version: text,
  dataDir: text,
  backend: v.looseObject({ type: v.picklist(['local', 'remote', 'slurm']) }),
  daemon: v.looseObject({ host: text, exitOnFinish: v.boolean() }),
  jobs: v.array(v.unknown()),
  retryOn: v.array(v.picklist(['lost', 'failed', 'timeout'])),
  retryBackoffMs: v.pipe(v.number(), v.minValue(0)),
  search: v.optional(v.looseObject({ algorithm: text, goal: v.picklist(['min', 'max']), seed: whole, space: v.record(v.string(), v.unknown()) })),
});

/**
 * A stored spec read back (either form: older specs have every job's folders written out), checked
 * to have what the code reads of it: a damaged file fails here, naming the field, not later with a
 * TypeError. The jobs are completed where they are: the spec was just parsed and is no one else's.
 */
export function specFromStored(stored: unknown): BatchSpec {
  const top = v.safeParse(storedSchema, stored);
  if (!top.success) throw new Error(`${formatPath((top.issues[0].path ?? []).map((p) => p.key as string | number))}: ${top.issues[0].message}`);
  const spec = stored as BatchSpec;
  (spec.jobs as unknown[]).forEach((job, i) => {
    const problem = storedJobProblem(job);
    if (problem) throw new Error(`jobs[${i}]${problem}`);
    jobFromStored(spec.dataDir, job as StoredJob);
  });
  return spec;
}

/** What is wrong with a stored job (`.command: …`), by hand: a spec holds up to millions, read by every command. */
function storedJobProblem(job: unknown): string | undefined {
  if (typeof job !== 'object' || job === null || Array.isArray(job)) return ': expected an object';
  const j = job as Record<string, unknown>;
  for (const key of ['name', 'command', 'hash'] as const) if (typeof j[key] !== 'string') return `.${key}: expected a string`;
  if (typeof j.params !== 'object' || j.params === null || Array.isArray(j.params)) return '.params: expected an object';
  if (typeof j.retries !== 'number') return '.retries: expected a number';
  for (const key of ['dataDir', 'workingDir'] as const) if (j[key] !== undefined && typeof j[key] !== 'string') return `.${key}: expected a string`;
  if (j.assets !== undefined && !(Array.isArray(j.assets) && j.assets.every((a) => typeof a === 'string'))) return '.assets: expected a list of paths';
  return undefined;
}
