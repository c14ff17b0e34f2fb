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
  if (spec.backend.type !== 'remote') return { ...spec, jobs };
  const machines = spec.backend.machines.map((m) => ({
    ...m,
    ...(m.password === undefined ? {} : { password: '***' }),
    ...(m.passphrase === undefined ? {} : { passphrase: '***' }),
  }));
  return { ...spec, backend: { ...spec.backend, machines }, jobs };
}

/**
 * A stored spec read back (either form: older specs have every job's folders written out). The
 * jobs are completed where they are: the spec was just parsed and is no one else's.
 */
export function specFromStored(stored: BatchSpec): BatchSpec {
  for (const job of stored.jobs as StoredJob[]) jobFromStored(stored.dataDir, job);
  return stored;
}
