import type { BackendSpec } from '../../batch/spec.js';
import type { Backend } from './backend.js';
import { localBackend } from './local-backend.js';
import { remoteBackend } from './remote-backend.js';
import { slurmBackend } from './slurm-backend.js';

/** The backend a batch's config describes. */
export function backendOf(spec: BackendSpec): Backend {
  if (spec.type === 'local') return localBackend(spec);
  if (spec.type === 'slurm') return slurmBackend(spec);
  return remoteBackend(spec);
}
