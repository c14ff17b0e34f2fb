// Debian's Python and its packages, for benchmarks that compare with a Python peer in the same run.
import { execFileSync, spawnSync } from 'node:child_process';

/** Debian's interpreter: its packages (python3-optuna, python3-sklearn) are installed for it. */
export const python = '/usr/bin/python3';

/** Installs Debian's `pkg` unless `python -c "import <module>"` works already. */
export function ensurePythonModule(module: string, pkg: string): void {
  if (spawnSync(python, ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0) return;
  console.error(`installing ${pkg} from Debian packages…`);
  execFileSync(
    'sh',
    [
      '-c',
      `apt-get install -y -q --no-install-recommends ${pkg} >/dev/null || (apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends ${pkg} >/dev/null)`,
    ],
    { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } },
  );
}
