import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { BatchSpec } from '../batch/spec.js';
import { type Snapshot, takeSnapshot } from './snapshot.js';
import { tarOf } from './tar-pack.js';
import type { UploadSpec } from './upload-spec.js';

/**
 * A run's upload: the snapshot of its folder, taken once (however many machines ask) when the run
 * starts, so a folder too big fails the run before anything is written or sent.
 */
export class Upload {
  readonly spec: UploadSpec;
  #snapshot: Promise<Snapshot> | undefined;
  #archive: Promise<string> | undefined;
  #tempDir: string | undefined;

  constructor(spec: UploadSpec) {
    this.spec = spec;
  }

  snapshot(): Promise<Snapshot> {
    this.#snapshot ??= takeSnapshot(this.spec);
    return this.#snapshot;
  }

  /**
   * The snapshot as a tar file, written once in a temporary folder for every machine that needs
   * it: the tree is read and packed once, however many machines it goes to.
   */
  archive(): Promise<string> {
    this.#archive ??= (async () => {
      const snapshot = await this.snapshot();
      this.#tempDir = await mkdtemp(join(tmpdir(), 'hyperctl-upload-'));
      const file = join(this.#tempDir, `${snapshot.id}.tar`);
      await pipeline(tarOf(snapshot), createWriteStream(file));
      return file;
    })();
    return this.#archive;
  }

  /** Removes the tar file, once every machine has what it needs. */
  async close(): Promise<void> {
    await this.#archive?.catch(() => undefined);
    if (this.#tempDir) await rm(this.#tempDir, { recursive: true, force: true });
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
