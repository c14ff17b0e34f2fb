import { HyperctlError } from '../errors.js';
import { holdForServing, readRunner } from '../store/batch-store.js';
import { foldBatch } from '../store/read-batch.js';
import { startDaemonOn } from './server.js';
import { StoredRunView } from './stored-view.js';

/**
 * Serves a batch that is not running — its API and dashboard — from the state on disk, until
 * `signal` aborts or a client stops it. `onServing` gets the dashboard's address (token included).
 */
export async function serveStoredBatch(
  batchesDataDir: string,
  name: string,
  options: { host: string; port: number | undefined; signal: AbortSignal; onServing: (dashboard: string) => void },
): Promise<void> {
  const batch = foldBatch(batchesDataDir, name);
  const runner = readRunner(batch.dataDir);
  if (runner)
    throw new HyperctlError(
      'E_BATCH_LOCKED',
      `batch "${name}" is ${runner.finishedAt === undefined ? 'being run' : 'served'} by pid ${runner.pid}${runner.portal ? `; see its dashboard with hyperctl batch dashboard ${name}` : ''}`,
    );
  let stopped!: () => void;
  const stop = new Promise<void>((resolve) => (stopped = resolve));
  const daemon = await startDaemonOn(new StoredRunView(batch, () => stopped()), options.host, options.port);
  let release: () => void;
  try {
    release = holdForServing(batch.dataDir, name, { portal: daemon.url, token: daemon.token });
  } catch (error) {
    await daemon.close();
    throw error;
  }
  try {
    options.onServing(`${daemon.portal}/`);
    await Promise.race([
      stop,
      new Promise<void>((resolve) => (options.signal.aborted ? resolve() : options.signal.addEventListener('abort', () => resolve(), { once: true }))),
    ]);
  } finally {
    await daemon.close();
    release();
  }
}
