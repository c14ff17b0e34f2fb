import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { rootUnavailable } from './system.js';
import { tempDir } from './tmp.js';

/** A small file system of its own, to fill up. */
export interface SmallDisk {
  readonly dir: string;
  /** Gives it a new size (more room, once the fault is to be gone). */
  resize(size: string): void;
  unmount(): void;
}

/**
 * Mounts a tmpfs of `size` (such as `2m`) on a fresh folder. Needs root; returns a reason to skip
 * without it, and fails under `CI=true` when it cannot be had.
 */
export function mountSmallDisk(size: string): SmallDisk | string {
  const noRoot = rootUnavailable('a small disk to fill needs root (mount -t tmpfs)');
  if (noRoot) return noRoot;
  const dir = tempDir('hyperctl-disk-');
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (mounted.status !== 0) {
    const reason = `cannot mount a tmpfs: ${mounted.stderr.trim()}`;
    if (process.env.CI === 'true') throw new Error(reason);
    return reason;
  }
  return {
    dir,
    resize: (to) => void execFileSync('mount', ['-o', `remount,size=${to}`, dir]),
    unmount: () => {
      spawnSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
