import type { SlurmConf } from '../../batch/spec.js';
import type { ResourceConfig } from '../../batch/types.js';
import { HyperctlError } from '../../errors.js';

/** Minutes for `--time`, rounded up: Slurm counts time limits in minutes. */
function minutes(ms: number): number {
  return Math.max(1, Math.ceil(ms / 60_000));
}

/**
 * The `sbatch` options of one array of jobs that share `resource` and `timeoutMs`: the backend's
 * own settings, the array with its throttle, then what the jobs need of a node.
 */
export function sbatchArgs(
  conf: SlurmConf,
  options: { batchName: string; tasks: number; resource?: ResourceConfig | undefined; timeoutMs?: number | undefined; errorLog: string },
): string[] {
  const args = [
    '--parsable',
    `--job-name=hyperctl-${options.batchName}`,
    `--array=0-${options.tasks - 1}${conf.parallelism ? `%${conf.parallelism}` : ''}`,
    '--output=/dev/null',
    `--error=${options.errorLog}`,
  ];
  if (conf.partition) args.push(`--partition=${conf.partition}`);
  if (conf.account) args.push(`--account=${conf.account}`);
  if (conf.qos) args.push(`--qos=${conf.qos}`);
  const resource = options.resource;
  if (resource?.cpu) args.push(`--cpus-per-task=${Math.ceil(resource.cpu)}`);
  if (resource?.ram) args.push(`--mem=${Math.ceil(resource.ram)}M`);
  if (resource?.gpu) {
    if (!Number.isInteger(resource.gpu))
      throw new HyperctlError('E_CONFIG_INVALID', `resource.gpu: ${resource.gpu}: Slurm gives whole GPUs; a share of one is for the local and remote backends`);
    args.push(`--gres=gpu:${resource.gpu}`);
  }
  if (options.timeoutMs !== undefined) args.push(`--time=${minutes(options.timeoutMs)}`);
  else if (conf.time) args.push(`--time=${conf.time}`);
  return [...args, ...(conf.sbatch_args ?? [])];
}
