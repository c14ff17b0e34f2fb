import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/** `~` and `~/x` to the home directory; other paths resolved against `baseDir`. */
export function resolveUserPath(path: string, baseDir: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return join(homedir(), path.slice(2));
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/**
 * The folder that holds every batch: the explicit option, else `HYPERCTL_BATCHES_DATA_DIR`, else
 * `~/hyperctl-batches-data-dir` (the original tool's names).
 * @public
 */
export function resolveBatchesDataDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = explicit ?? env.HYPERCTL_BATCHES_DATA_DIR;
  return chosen ? resolveUserPath(chosen, process.cwd()) : join(homedir(), 'hyperctl-batches-data-dir');
}

/**
 * The folder of GPU lease files: `explicit`, else `HYPERCTL_LOCK_DIR`, else undefined (then the
 * machine's own default, `/run/lock/hyperctl` or `/tmp/hyperctl-locks`).
 */
export function resolveGpuLockDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return explicit ?? (env.HYPERCTL_LOCK_DIR || undefined);
}
