import { execFileSync, spawnSync } from 'node:child_process';

function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Undefined when this process is root; else the reason to skip, printed. Under `CI=true` not
 * being root fails instead, so CI never passes by skipping.
 */
export function rootUnavailable(reason: string): string | undefined {
  if (process.getuid?.() === 0) return undefined;
  if (process.env.CI === 'true') throw new Error(reason);
  console.warn(`skipping: ${reason}`);
  return reason;
}

/**
 * Makes sure `command` exists, installing Debian's `pkg` when it does not and we are root.
 * Returns a reason to skip when it cannot be had; under `CI=true` a missing component fails
 * instead, so CI never passes by skipping.
 */
export function ensureCommand(command: string, pkg: string): string | undefined {
  if (has(command)) return undefined;
  if (process.getuid?.() === 0 && has('apt-get')) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = () =>
      spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '-q', '--no-install-recommends', pkg], { stdio: 'ignore', env }).status === 0;
    if (!install()) {
      execFileSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'update', '-q'], { stdio: 'ignore', env });
      install();
    }
    if (has(command)) return undefined;
  }
  const reason = `${command} is missing and cannot be installed here (not root, or no apt-get); install Debian's ${pkg}`;
  if (process.env.CI === 'true') throw new Error(reason);
  console.warn(`skipping: ${reason}`);
  return reason;
}
