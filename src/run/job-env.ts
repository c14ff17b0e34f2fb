import type { BatchSpec, JobSpec } from '../batch/spec.js';
import { portalEnv } from '../executors/job-files.js';

/** Params larger than this go only through the file: the kernel caps one environment string at 128 KiB. */
const maxEnvParams = 100 * 1024;

/** The `HYPERCTL_*` variables every job sees, so a job in any language finds its params without a library. */
export function jobEnvironment(
  batch: BatchSpec,
  job: JobSpec,
  paramsFile: string,
  paramsJson: string,
  portal: string | undefined,
  backend: Readonly<Record<string, string>>,
): Record<string, string> {
  return {
    ...backend,
    HYPERCTL_BATCH_NAME: batch.name,
    HYPERCTL_JOB_NAME: job.name,
    HYPERCTL_JOB_DATA_DIR: job.dataDir,
    HYPERCTL_JOB_WORKING_DIR: job.workingDir,
    HYPERCTL_JOB_PARAMS_FILE: paramsFile,
    ...(paramsJson.length <= maxEnvParams ? { HYPERCTL_JOB_PARAMS: paramsJson } : {}),
    // The portal's path carries the token, so the original tool's client authenticates unchanged.
    ...(portal ? portalEnv(portal) : {}),
  };
}
