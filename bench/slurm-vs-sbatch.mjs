// The Slurm backend against raw Slurm: N trivial jobs (`true`) through `hyperctl run` with the
// Slurm backend, and the same N as one `sbatch --array` waited for with a plain `squeue` loop, on
// the tests' one-node Slurm (started here, in a network namespace). Needs root.
// Usage: npm run build && node bench/slurm-vs-sbatch.mjs [N]   (default: 200)
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { createJiti } from 'jiti';
import { runArgs, timed } from './timed.mjs';

const jiti = createJiti(import.meta.url);
const { slurmUnavailable, startSlurm } = await jiti.import('../test/helpers/slurm.ts');

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const n = Number(process.argv[2] ?? 200);
const unavailable = slurmUnavailable();
if (unavailable) {
  console.error(unavailable);
  process.exit(1);
}
const dir = mkdtempSync(join(tmpdir(), 'hyperctl-bench-'));
chmodSync(dir, 0o755);
const slurm = await startSlurm(join(dir, 'cluster'));
const env = { ...process.env, ...slurm.env };
try {
  // Warm-up: the scheduler's first pass after start is slow for everybody.
  execFileSync('sbatch', ['--parsable', '--wait', '--output=/dev/null', '--wrap', 'true'], { env });

  const jobs = Array.from({ length: n }, (_, i) => ({ name: `j${i}`, params: { i }, execution: { command: 'true' } }));
  writeFileSync(join(dir, 'batch.json'), JSON.stringify({ name: 'bench', jobs, backend: { type: 'slurm', conf: { poll_interval: 0.25 } } }));
  const hyperctl = timed(process.execPath, runArgs(cli, join(dir, 'batch.json'), join(dir, 'data')), { env });

  const start = process.hrtime.bigint();
  const id = execFileSync('sbatch', ['--parsable', `--array=0-${n - 1}`, '--output=/dev/null', '--wrap', 'true'], { env, encoding: 'utf8' }).trim();
  while (execFileSync('squeue', ['--noheader', `--jobs=${id}`], { env, encoding: 'utf8' }).trim() !== '') await sleep(250);
  const raw = Number(process.hrtime.bigint() - start) / 1e6;

  const version = execFileSync('sbatch', ['--version'], { env, encoding: 'utf8' }).trim();
  console.log(`node ${process.version}, ${version}; ${n} jobs on a one-node cluster (${slurm.cpus} CPUs), both polling every 0.25 s`);
  console.log(`hyperctl, Slurm backend        ${(hyperctl / 1000).toFixed(2)} s`);
  console.log(`sbatch --array + squeue loop   ${(raw / 1000).toFixed(2)} s`);
  console.log(`ratio hyperctl / raw Slurm     ${(hyperctl / raw).toFixed(2)}`);
} finally {
  await slurm.stop();
  rmSync(dir, { recursive: true, force: true });
}
