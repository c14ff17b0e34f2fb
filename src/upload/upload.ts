import type { BackendSpec } from '../batch/spec.js';
import { type Snapshot, takeSnapshot } from './snapshot.js';
import type { UploadSpec } from './upload-spec.js';

/**
 * A run's upload: the snapshot of its folder, taken once (however many machines ask) when the run
 * starts, so a folder too big fails the run before anything is written or sent.
 */
export class Upload {
  readonly spec: UploadSpec;
  #snapshot: Promise<Snapshot> | undefined;

  constructor(spec: UploadSpec) {
    this.spec = spec;
  }

  snapshot(): Promise<Snapshot> {
    this.#snapshot ??= takeSnapshot(this.spec);
    return this.#snapshot;
  }
}

/** The upload a backend asks for, if any (only machines of their own need one). */
export function uploadFor(backend: BackendSpec): Upload | undefined {
  return backend.type === 'remote' && backend.upload ? new Upload(backend.upload) : undefined;
}
