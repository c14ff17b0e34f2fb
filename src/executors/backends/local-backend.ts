import type { BackendSpec } from '../../batch/spec.js';
import { LocalExecutor } from '../local.js';
import type { Backend } from './backend.js';

type LocalSpec = Extract<BackendSpec, { type: 'local' }>;

/** The local backend: jobs run as child processes of the runner, on this machine. */
export function localBackend(spec: LocalSpec): Backend {
  return {
    name: 'local',
    capacitySet: spec.capacity !== undefined,
    placesJobs: false,
    runsHere: true,
    foldersElsewhere: false,
    parallelismHost: LocalExecutor.host,
    environment: spec.environments,
    executors: (_batch, settings) => [
      new LocalExecutor({
        slots: spec.parallelism ?? settings.defaultSlots,
        ...(spec.capacity ? { capacity: spec.capacity } : {}),
        ...(settings.killGraceMs !== undefined ? { killGraceMs: settings.killGraceMs } : {}),
        ...(settings.gpuLockDir !== undefined ? { gpuLockDir: settings.gpuLockDir } : {}),
        ...(settings.onWarning ? { onWarning: settings.onWarning } : {}),
      }),
    ],
    warnings: () => {
      const keys = spec.remoteOnlyKeys;
      // One batch file may serve both backends: said, not refused.
      if (!keys) return [];
      const named = keys.length > 1 ? `${keys.slice(0, -1).join(', ')} and ${keys.at(-1)} are` : `${keys[0]} is`;
      return [`${named} for the remote backend: here jobs run in their folders on this machine, and nothing is sent or fetched`];
    },
  };
}
