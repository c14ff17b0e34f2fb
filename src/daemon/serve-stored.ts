import { HyperctlError } from '../errors.js';
import { readRunner } from '../store/batch-store.js';
import { readBatch } from '../store/read-batch.js';
import { startDaemon } from './server.js';
import { StoredRunView } from './stored-view.js';

/**
 * Serves a batch that is not running — its API and dashboard — from the state on disk, until
 * `signal` aborts or a client stops it. `onServing` gets the dashboard's address (token included).
 */
export async function serveStoredBatch(
  batchesDataDir: string,
  name: string,
  options: { host: string; port: number; signal: AbortSignal; onServing: (dashboard: string) => void },
): Promise<void> {
  const batch = readBatch(batchesDataDir, name);
  const runner = readRunner(batch.dataDir);
  if (runner)
    throw new HyperctlError(
      'E_BATCH_LOCKED',
      `batch "${name}" is being run (pid ${runner.pid})${runner.portal ? `; its own daemon serves it: see hyperctl batch dashboard ${name}` : ''}`,
    );
  let stopped!: () => void;
  const stop = new Promise<void>((resolve) => (stopped = resolve));
  const daemon = await startDaemon(new StoredRunView(batch, () => stopped()), { host: options.host, port: options.port });
  try {
    options.onServing(`${daemon.portal}/`);
    await Promise.race([
      stop,
      new Promise<void>((resolve) => (options.signal.aborted ? resolve() : options.signal.addEventListener('abort', () => resolve(), { once: true }))),
    ]);
  } finally {
    await daemon.close();
  }
}
