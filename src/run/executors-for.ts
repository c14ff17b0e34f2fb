import { isIP } from 'node:net';
import type { BatchSpec } from '../batch/spec.js';
import type { Executor } from '../executors/executor.js';
import { LocalExecutor } from '../executors/local.js';
import { SlurmExecutor } from '../executors/slurm/slurm-executor.js';
import { SshExecutor } from '../executors/ssh/ssh-executor.js';
import type { Upload } from '../upload/upload.js';
import type { RunBatchOptions } from './options.js';
import { resolveGpuLockDir } from '../paths.js';

/** True when capacity decides where jobs run: some job declares `resource`, or a machine's capacity is set. */
export function usesResources(spec: BatchSpec): boolean {
  const backend = spec.backend;
  // Slurm places jobs itself: their resources become sbatch options.
  if (backend.type === 'slurm') return false;
  const capacitySet = backend.type === 'local' ? backend.capacity !== undefined : backend.machines.some((m) => m.capacity !== undefined);
  return capacitySet || spec.search?.template.resource !== undefined || spec.jobs.some((job) => job.resource !== undefined);
}

/**
 * The executors a batch's `backend` describes: the local machine, or one per SSH machine. Slots
 * default to 1 (a whole machine per job, as the seed says), or to no limit but the capacity when
 * jobs declare resources.
 */
export function createExecutors(
  spec: BatchSpec,
  options: RunBatchOptions,
  upload?: Upload,
  hooks: { onUploadProgress?: (host: string, sent: number, total: number) => void; onWarning?: (message: string) => void } = {},
): Executor[] {
  const { onUploadProgress, onWarning } = hooks;
  const killGrace = options.killGraceMs !== undefined ? { killGraceMs: options.killGraceMs } : {};
  const gpuLockDir = resolveGpuLockDir(options.gpuLockDir);
  const lockDir = gpuLockDir !== undefined ? { gpuLockDir } : {};
  const defaultSlots = usesResources(spec) ? Number.POSITIVE_INFINITY : 1;
  const backend = spec.backend;
  if (backend.type === 'local')
    return [
      new LocalExecutor({
        slots: backend.parallelism ?? defaultSlots,
        ...(backend.capacity ? { capacity: backend.capacity } : {}),
        ...killGrace,
        ...lockDir,
        ...(onWarning ? { onWarning } : {}),
      }),
    ];
  if (backend.type === 'slurm') return [new SlurmExecutor({ conf: backend.conf, batchDataDir: spec.dataDir })];
  return backend.machines.map(
    (machine) =>
      new SshExecutor({
        machine,
        slots: machine.slots ?? defaultSlots,
        hostKeyChecking: backend.hostKeyChecking,
        knownHostsFile: backend.knownHostsFile,
        ...(upload
          ? { upload, ...(onUploadProgress ? { onUploadProgress: (sent: number, total: number) => onUploadProgress(machine.hostname, sent, total) } : {}) }
          : {}),
        cleanup: backend.cleanup,
        ...killGrace,
        ...lockDir,
      }),
  );
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/** What the user should hear before a run starts, e.g. remote jobs that could not reach the daemon. */
export function backendWarnings(spec: BatchSpec, daemon: boolean): string[] {
  if (spec.backend.type === 'slurm') {
    const warnings: string[] = [];
    // Compute nodes read the job scripts and write outputs there: a machine-local folder will not do.
    if (/^\/(tmp|var\/tmp|dev\/shm|run)(\/|$)/.test(spec.dataDir))
      warnings.push(
        `the batch's folder ${spec.dataDir} is usually local to this machine, but Slurm's compute nodes must reach it: put the batches data dir (--batches-data-dir) on storage they share`,
      );
    if (daemon && isLoopback(spec.daemon.host))
      warnings.push(
        `daemon.host is ${spec.daemon.host}, a loopback address: jobs on the cluster's nodes cannot reach the daemon; set daemon.host to an address of this machine that they can reach`,
      );
    return warnings;
  }
  if (spec.backend.type === 'local') {
    const keys = spec.backend.remoteOnlyKeys;
    // One batch file may serve both backends: said, not refused.
    if (!keys) return [];
    const named = keys.length > 1 ? `${keys.slice(0, -1).join(', ')} and ${keys.at(-1)} are` : `${keys[0]} is`;
    return [`${named} for the remote backend: here jobs run in their folders on this machine, and nothing is sent or fetched`];
  }
  if (!daemon || !isLoopback(spec.daemon.host)) return [];
  const remote = spec.backend.machines.filter((m) => !isLoopback(m.hostname)).map((m) => m.hostname);
  if (remote.length === 0) return [];
  return [
    `daemon.host is ${spec.daemon.host}, a loopback address: jobs on ${remote.join(', ')} cannot reach the daemon (the portal in HYPERCTL_SERVER_PORTAL); set daemon.host to an address of this machine that they can reach`,
  ];
}
