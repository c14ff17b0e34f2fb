import type { BackendSpec } from '../../batch/spec.js';
import { HyperctlError } from '../../errors.js';
import type { ExecutorHealth } from '../executor.js';
import { SshExecutor } from '../ssh/ssh-executor.js';
import type { Backend } from './backend.js';
import { isLoopback } from './loopback.js';

type RemoteSpec = Extract<BackendSpec, { type: 'remote' }>;

/** The remote backend: jobs run over SSH on machines of their own, each with its slots. */
export function remoteBackend(spec: RemoteSpec): Backend {
  return {
    name: 'remote',
    capacitySet: spec.machines.some((m) => m.capacity !== undefined),
    placesJobs: false,
    runsHere: false,
    foldersElsewhere: true,
    environment: {},
    ...(spec.upload ? { upload: spec.upload } : {}),
    executors: (_batch, settings) =>
      spec.machines.map(
        (machine) =>
          new SshExecutor({
            machine,
            slots: machine.slots ?? settings.defaultSlots,
            hostKeyChecking: spec.hostKeyChecking,
            knownHostsFile: spec.knownHostsFile,
            ...(settings.upload
              ? {
                  upload: settings.upload,
                  ...(settings.onUploadProgress
                    ? { onUploadProgress: (sent: number, total: number) => settings.onUploadProgress!(machine.hostname, sent, total) }
                    : {}),
                }
              : {}),
            cleanup: spec.cleanup,
            ...(settings.killGraceMs !== undefined ? { killGraceMs: settings.killGraceMs } : {}),
            ...(settings.gpuLockDir !== undefined ? { gpuLockDir: settings.gpuLockDir } : {}),
            ...(settings.onHealth ? { onHealth: (health: ExecutorHealth, reason: string) => settings.onHealth!(machine.hostname, health, reason) } : {}),
          }),
      ),
    // Jobs reach the daemon through their machine's SSH connection (see SshExecutor.reachDaemon).
    warnings: (batch, daemon) =>
      daemon && !isLoopback(batch.daemon.host)
        ? [
            `daemon.host is ${batch.daemon.host}: the machines' jobs reach the daemon through their SSH connections, so it need not listen beyond this machine's loopback; without daemon.host it does not (only a machine whose sshd refuses forwarding uses daemon.host)`,
          ]
        : [],
    async fetchFiles(job, globs) {
      const machine = spec.machines.find((m) => m.hostname === job.host);
      if (!machine) throw new HyperctlError('E_USAGE', `job ${job.name} has not run on a machine (status ${job.status}): there is nothing to fetch`);
      if (globs.length === 0) throw new HyperctlError('E_USAGE', `name the files to fetch (globs), or give job ${job.name} execution.outputs`);
      const executor = new SshExecutor({ machine, slots: 1, hostKeyChecking: spec.hostKeyChecking, knownHostsFile: spec.knownHostsFile });
      await executor.open();
      try {
        return await executor.fetchFiles(job, globs, spec.upload !== undefined);
      } finally {
        await executor.close();
      }
    },
  };
}
