import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { HashCache } from './hash-cache.js';
import { type Snapshot, takeSnapshot } from './snapshot.js';
import { Spool } from './spool.js';
import { coalesced, tarOf } from './tar-pack.js';
import type { UploadSpec } from '../batch/upload-spec.js';

/**
 * A run's upload: the snapshot of its folder, taken once (however many machines ask) when the run
 * starts, so a folder too big fails the run before anything is written or sent.
 */
export class Upload {
  readonly spec: UploadSpec;
  readonly #hashCacheFile: string | undefined;
  #snapshot: Promise<Snapshot> | undefined;
  #spool: Spool | undefined;

  /** `hashCacheFile` keeps the files' hashes between runs (see {@link HashCache}). */
  constructor(spec: UploadSpec, hashCacheFile?: string) {
    this.spec = spec;
    this.#hashCacheFile = hashCacheFile;
  }

  snapshot(): Promise<Snapshot> {
    this.#snapshot ??= takeSnapshot(this.spec, this.#hashCacheFile ? HashCache.read(this.#hashCacheFile) : undefined);
    return this.#snapshot;
  }

  /**
   * The snapshot as a tar stream, packed once for every machine that needs it and read by each
   * from the start while the packing goes on; `onRead` hears how many bytes this reader has had.
   */
  archive(snapshot: Snapshot, onRead?: (bytes: number) => void): AsyncIterable<Buffer> {
    this.#spool ??= new Spool(join(tmpdir(), `hyperctl-upload-${randomBytes(8).toString('hex')}.tar`), coalesced(tarOf(snapshot)));
    return this.#spool.read(onRead);
  }

  /** Frees the packed archive, once every machine has what it needs. */
  async close(): Promise<void> {
    await this.#spool?.close();
  }
}

/**
 * The upload of `upload`'s folder for a batch whose folder is `batchDataDir`. A batches
 * folder inside the uploaded one is left out: the outputs of earlier runs are not code. The files'
 * hashes are kept in the batches folder, one file per uploaded folder.
 */
export function uploadFor(batchDataDir: string, upload: UploadSpec): Upload {
  const batchesDir = dirname(batchDataDir);
  const batches = relative(upload.dir, batchesDir);
  const inside = batches !== '' && !batches.startsWith('..') && !isAbsolute(batches);
  const cache = join(batchesDir, `.upload-hashes-${createHash('sha256').update(upload.dir).digest('hex').slice(0, 16)}.json`);
  return new Upload(inside ? { ...upload, exclude: [...upload.exclude, `/${batches.split(sep).join('/')}/`] } : upload, cache);
}
