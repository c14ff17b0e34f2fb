// How long `hyperctl batch compare`, `batch best` and `batch show` take on a batch of N jobs with metrics (default 10,000): the
// batch is made by runBatch with an executor that only writes each job's metrics line (no
// processes), then the built CLI is timed reading it back, sorting and printing.
// Each is set beside GNU sort over a CSV of the same (name, accuracy) pairs, timed in the same run:
// the floor a user would compare with. Every figure is the median of 5 runs.
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
  const csv = join(dir, 'results.csv');
  writeFileSync(csv, jobs.map((job) => `${job.name.replaceAll(',', ';')},${Math.sin(job.params.lr * 3) * Math.log(job.params.depth + 1)}\n`).join(''));
  const median = (command, args) => {
    const times = Array.from({ length: 5 }, () => timed(command, args)).sort((a, b) => a - b);
    return times[2];
  };
  const args = (...extra) => [cli, 'batch', 'compare', 'bench', '--batches-data-dir', dir, ...extra];
  const sort = median('sort', ['-t,', '-k2,2gr', csv]);
  const rows = [
    ['batch compare --sort accuracy --desc --top 10', median(process.execPath, args('--sort', 'accuracy', '--desc', '--top', '10'))],
    ['batch compare --sort accuracy --csv (all rows)', median(process.execPath, args('--sort', 'accuracy', '--csv'))],
    ['batch best --metric accuracy', median(process.execPath, [cli, 'batch', 'best', 'bench', '--metric', 'accuracy', '--batches-data-dir', dir])],
    ['batch show (every job)', median(process.execPath, [cli, 'batch', 'show', 'bench', '--batches-data-dir', dir])],
  ];
  const start = median(process.execPath, [cli, '--version']);
  console.log(`node ${process.version}; a batch of ${jobs.length} jobs with 2 metrics each; medians of 5`);
  console.log(`${'sort -t, -k2,2gr over the CSV (the floor)'.padEnd(48)} ${sort.toFixed(0).padStart(6)} ms`);
  for (const [what, ms] of rows) console.log(`${what.padEnd(48)} ${ms.toFixed(0).padStart(6)} ms  ${(ms / sort).toFixed(1)}× sort`);
  console.log(`${'(hyperctl --version, the CLI start alone)'.padEnd(48)} ${start.toFixed(0).padStart(6)} ms`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
