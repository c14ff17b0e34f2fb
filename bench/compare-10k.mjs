// How long `hyperctl batch compare`, `batch best` and `batch show` take on a batch of N jobs with metrics (default 10,000): the
// batch is made by runBatch with an executor that only writes each job's metrics line (no
// processes), then the built CLI is timed reading it back, sorting and printing.
// Usage: npm run build && node bench/compare-10k.mjs [N]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateJobs, runBatch } from '../dist/index.js';
import { timed } from './timed.mjs';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const n = Number(process.argv[2] ?? 10_000);
const dir = mkdtempSync(join(tmpdir(), 'hyperctl-bench-'));
try {
  const side = Math.ceil(Math.sqrt(n));
  const lrs = Array.from({ length: side }, (_, i) => i / side);
  const depths = Array.from({ length: side }, (_, i) => i + 1);
  const jobs = [...generateJobs({ params: { lr: lrs, depth: depths, model: ['resnet'] }, execution: { command: 'true' } })].slice(0, n);
  const writer = {
    host: 'bench',
    slots: 64,
    async run(job) {
      writeFileSync(
        job.stdoutPath,
        `hyperctl:metrics ${JSON.stringify({ accuracy: Math.sin(job.params.lr * 3) * Math.log(job.params.depth + 1), loss: job.params.lr })}\n`,
      );
      job.onSpawn?.({});
      return { exitCode: 0, signal: null, killed: false };
    },
  };
  await runBatch({ name: 'bench', jobs }, { batchesDataDir: dir, executors: [writer] });
  const args = (...extra) => [cli, 'batch', 'compare', 'bench', '--batches-data-dir', dir, ...extra];
  const table = timed(process.execPath, args('--sort', 'accuracy', '--desc', '--top', '10'));
  const all = timed(process.execPath, args('--sort', 'accuracy', '--csv'));
  const best = timed(process.execPath, [cli, 'batch', 'best', 'bench', '--metric', 'accuracy', '--batches-data-dir', dir]);
  const show = timed(process.execPath, [cli, 'batch', 'show', 'bench', '--batches-data-dir', dir]);
  const start = timed(process.execPath, [cli, '--version']);
  console.log(`node ${process.version}; a batch of ${jobs.length} jobs with 2 metrics each`);
  console.log(`batch compare --sort accuracy --desc --top 10   ${table.toFixed(0)} ms`);
  console.log(`batch compare --sort accuracy --csv (all rows)  ${all.toFixed(0)} ms`);
  console.log(`batch best --metric accuracy                    ${best.toFixed(0)} ms`);
  console.log(`batch show (every job)                          ${show.toFixed(0)} ms`);
  console.log(`(hyperctl --version, the CLI's start alone:      ${start.toFixed(0)} ms)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
