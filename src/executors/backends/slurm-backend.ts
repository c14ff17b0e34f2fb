import type { BackendSpec } from '../../batch/spec.js';
import { SlurmExecutor } from '../slurm/slurm-executor.js';
import type { Backend } from './backend.js';
import { isLoopback } from './loopback.js';

type SlurmSpec = Extract<BackendSpec, { type: 'slurm' }>;

/** The Slurm backend: jobs are submitted to a cluster, whose scheduler places them. */
export function slurmBackend(spec: SlurmSpec): Backend {
  return {
    name: 'slurm',
    capacitySet: false,
    // Slurm places jobs itself: their resources become sbatch options.
    placesJobs: true,
    runsHere: false,
    foldersElsewhere: true,
    environment: {},
    executors: (batch) => [new SlurmExecutor({ conf: spec.conf, batchDataDir: batch.dataDir })],
    warnings: (batch, daemon) => {
      const warnings: string[] = [];
      // Compute nodes read the job scripts and write outputs there: a machine-local folder will not do.
      if (/^\/(tmp|var\/tmp|dev\/shm|run)(\/|$)/.test(batch.dataDir))
        warnings.push(
          `the batch's folder ${batch.dataDir} is usually local to this machine, but Slurm's compute nodes must reach it: put the batches data dir (--batches-data-dir) on storage they share`,
        );
      if (daemon && isLoopback(batch.daemon.host))
        warnings.push(
          `daemon.host is ${batch.daemon.host}, a loopback address: jobs on the cluster's nodes cannot reach the daemon; set daemon.host to an address of this machine that they can reach`,
        );
      return warnings;
    },
  };
}
