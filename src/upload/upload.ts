import { dirname, isAbsolute, relative, sep } from 'node:path';
import type { BatchSpec } from '../batch/spec.js';
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

/**
 * The upload a batch's backend asks for, if any (only machines of their own need one). A batches
 * folder inside the uploaded one is left out: the outputs of earlier runs are not code.
 */
export function uploadFor(spec: Pick<BatchSpec, 'backend' | 'dataDir'>): Upload | undefined {
  const { backend } = spec;
  if (backend.type !== 'remote' || !backend.upload) return undefined;
  const batches = relative(backend.upload.dir, dirname(spec.dataDir));
  const inside = batches !== '' && !batches.startsWith('..') && !isAbsolute(batches);
  return new Upload(inside ? { ...backend.upload, exclude: [...backend.upload.exclude, `/${batches.split(sep).join('/')}/`] } : backend.upload);
}
