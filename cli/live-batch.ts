import { join } from 'node:path';
import { createDaemonClient, type DaemonClient } from '../src/daemon/client.js';
import { HyperctlError } from '../src/errors.js';
import { readDaemonAccess, readRunner } from '../src/store/batch-store.js';
import { readBatch } from '../src/store/read-batch.js';

/** A running batch's daemon, for commands that act on it or read it live. */
export interface LiveBatch {
  readonly client: DaemonClient;
  readonly portal: string;
}

/** The daemon of batch `name` while it runs, else undefined (the state on disk then tells all). */
export function liveBatch(batchesDataDir: string, name: string): LiveBatch | undefined {
  const access = readDaemonAccess(join(batchesDataDir, name));
  return access ? { client: createDaemonClient({ portal: access.portal, token: access.token }), portal: access.portal } : undefined;
}

/** Like {@link liveBatch}, but says clearly why a batch cannot be controlled. */
export function controllableBatch(batchesDataDir: string, name: string): LiveBatch {
  const live = liveBatch(batchesDataDir, name);
  if (live) return live;
  const batch = readBatch(batchesDataDir, name);
  if (readRunner(batch.dataDir))
    throw new HyperctlError(
      'E_NOT_RUNNING',
      `batch "${name}" runs without a daemon (started by runBatch() without { daemon: true }); it can only be controlled by the program that runs it`,
    );
  throw new HyperctlError('E_NOT_RUNNING', `batch "${name}" is not running (it is ${batch.status}); there is nothing to kill or stop`);
}
