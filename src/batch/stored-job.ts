import { join } from 'node:path';
import type { JobSpec } from './spec.js';

/** A job as stored, completed where it is (it was just parsed and is no one else's). */
export function jobFromStored(batchDir: string, job: StoredJob): JobSpec {
  job.dataDir ??= join(batchDir, job.name);
  job.workingDir ??= job.dataDir;
  return job as JobSpec;
}

/** A job as a batch's folder keeps it: its spec without the folders that repeat the batch's. */
export type StoredJob = Omit<JobSpec, 'dataDir' | 'workingDir'> & { dataDir?: string; workingDir?: string };

/** A job as stored: see {@link StoredJob}. */
export function storedJob(batchDir: string, job: JobSpec): StoredJob {
  const { dataDir, workingDir, ...rest } = job;
  return {
    ...rest,
    ...(dataDir === join(batchDir, job.name) ? {} : { dataDir }),
    ...(workingDir === dataDir ? {} : { workingDir }),
  };
}
