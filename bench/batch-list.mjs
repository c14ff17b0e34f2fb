// How long `hyperctl batch list` takes with many batches (default 1,000 of 10 jobs each, made by
// runBatch with an executor that finishes each job at once), against listing the same folders
// with `ls -l` (the floor: one stat each); the built CLI, median of five runs.
// Usage: npm run build && node bench/batch-list.mjs [batches] [jobs each]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBatch } from '../dist/index.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const batches = Number(process.argv[2] ?? 1000);
const jobsEach = Number(process.argv[3] ?? 10);
const dir = mkdtempSync(join(tmpdir(), 'hyperctl-bench-'));

/** Median wall time of five runs of a command, in ms. */
function median(command, args) {
  const times = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    const run = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${run.status}`);
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[2];
}

try {
  const executor = {
    host: 'bench',
    slots: 4,
    async run(job) {
      job.onSpawn?.({});
      return { exitCode: 0, signal: null, killed: false };
    },
  };
  for (let b = 0; b < batches; b++) {
    const jobs = Array.from({ length: jobsEach }, (_, i) => ({ name: `j${i}`, params: { i }, execution: { command: 'true' } }));
    await runBatch({ name: `batch-${b}`, jobs }, { batchesDataDir: dir, executors: [executor] });
  }
  const ours = median(process.execPath, [cli, 'batch', 'list', '--batches-data-dir', dir]);
  const json = median(process.execPath, [cli, 'batch', 'list', '--json', '--batches-data-dir', dir]);
  const floor = median('ls', ['-l', dir]);
  const start = median(process.execPath, [cli, '--version']);
  console.log(`node ${process.version}; ${batches} batches of ${jobsEach} jobs`);
  console.log(`hyperctl batch list          ${ours.toFixed(0)} ms`);
  console.log(`hyperctl batch list --json   ${json.toFixed(0)} ms`);
  console.log(`ls -l (one stat each)        ${floor.toFixed(0)} ms`);
  console.log(`(hyperctl --version:         ${start.toFixed(0)} ms)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
