import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Commands the suite uses (or a shell check, for what is no command), and the Debian package of each. */
const systemPackages: readonly (readonly [command: string, pkg: string])[] = [
  ['/usr/sbin/sshd', 'openssh-server'],
  ['ssh-keygen', 'openssh-client'],
  ['ip', 'iproute2'],
  ['ps', 'procps'],
  // script(1) makes the pseudo-terminals of the terminal tests.
  ['script', 'bsdutils'],
  ['setpriv', 'util-linux'],
  ['python3', 'python3'],
  ['chromium', 'chromium'],
  ['munged', 'munge'],
  ['slurmctld', 'slurmctld'],
  ['slurmd', 'slurmd'],
  ['sbatch', 'slurm-client'],
  // The Optuna sampler example runs Debian's Python, with Debian's Optuna.
  ["/usr/bin/python3 -c 'import optuna'", 'python3-optuna'],
];

function has(command: string): boolean {
  return spawnSync('sh', ['-c', command.includes(' ') ? command : `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Runs once before every test file: installs the system packages the suite needs (as root, with
 * apt-get, outside any test's timeout), and gives the suite a home folder of its own, so that no
 * test sees the user's `~/.ssh`, shell start-up files or batches.
 */
export default function setup(): () => void {
  const missing = systemPackages.filter(([command]) => !has(command)).map(([, pkg]) => pkg);
  if (missing.length > 0 && process.getuid?.() === 0 && has('apt-get')) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const apt = (...args: string[]) => spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', ...args], { stdio: ['ignore', 'ignore', 'inherit'], env });
    process.stderr.write(`installing ${missing.join(', ')} for the tests…\n`);
    if (apt('install', '-y', '-q', '--no-install-recommends', ...missing).status !== 0) {
      apt('update', '-q');
      apt('install', '-y', '-q', '--no-install-recommends', ...missing);
    }
  }
  // Tests that need a missing package say so themselves (and fail under CI=true).
  const home = mkdtempSync(join(tmpdir(), 'hyperctl-test-home-'));
  const saved = process.env.HOME;
  process.env.HOME = home;
  // GPU lock folders of the suite's own (see worker-setup.ts), never the machine's.
  const locks = mkdtempSync(join(tmpdir(), 'hyperctl-test-locks-'));
  chmodSync(locks, 0o1777);
  process.env.HYPERCTL_TEST_LOCKS = locks;
  return () => {
    process.env.HOME = saved;
    rmSync(home, { recursive: true, force: true });
    rmSync(locks, { recursive: true, force: true });
  };
}
