// What the runner itself costs, without processes: N jobs through runBatch on an executor that
// finishes each job at once (state persistence on), each N in a fresh process: wall time per job,
// the process's peak RSS and its live heap at the end (after a full GC). The batches folder is in
// a tmpfs (/dev/shm) unless --disk is given: this machine's cloud disk takes 2-3 times longer for
// the same mkdir from one run to the next, which would decide more than the runner does. Also the
// CLI's cold start (`hyperctl --help`) against `node -e 0`. With --grid, the N jobs are a grid
// search over a template (a × b, 1,000 values of b): its jobs are made one at a time as slots
// free up, never all at once.
// Usage: npm run build && node bench/runner-overhead.mjs [--disk] [--grid] [N ...]   (default: 1000 10000 100000)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const sdk = new URL('../dist/index.js', import.meta.url).href;
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);

// Runs in the child: the jobs, the no-op executor, and the figures as one JSON line.
const child = `
const { runBatch } = await import(${JSON.stringify(sdk)});
const n = Number(process.argv[1]);
const executor = { host: 'noop', slots: 2, async run(job) { job.onSpawn?.({}); return { exitCode: 0, signal: null, killed: false }; } };
const range = (count) => Array.from({ length: count }, (_, i) => i);
const batch = process.argv[3] === 'grid'
  ? { name: 'noop', params: { a: range(Math.ceil(n / 1000)), b: range(Math.min(n, 1000)) }, execution: { command: 'true' }, search: { algorithm: 'grid' } }
  : { name: 'noop', jobs: range(n).map((i) => ({ name: 'j' + i, params: { i }, execution: { command: 'true' } })) };
const start = performance.now();
const result = await runBatch(batch, { batchesDataDir: process.argv[2], executors: [executor], parallelism: 2 });
const ms = performance.now() - start;
const rssMiB = process.resourceUsage().maxRSS / 1024;
globalThis.gc();
console.log(JSON.stringify({ ms, succeed: result.counts.succeed, rssMiB, liveMiB: process.memoryUsage().heapUsed / 2 ** 20 }));
`;

const where = process.argv.includes('--disk') || !existsSync('/dev/shm') ? tmpdir() : '/dev/shm';
const grid = process.argv.includes('--grid');
console.log(
  `node ${process.version}; no-op executor, 2 slots, through runBatch (journal on), ${grid ? 'a grid search' : 'a list of jobs'}, batches folder in ${where}\n`,
);
console.log('jobs       wall       per job    peak RSS   live heap at the end');
for (const n of sizes.length ? sizes : [1000, 10000, 100000]) {
  const dir = mkdtempSync(join(where, 'hyperctl-bench-'));
  try {
    const out = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', child, String(n), dir, grid ? 'grid' : 'list'], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    if (out.status !== 0) throw new Error(out.stderr);
    const { ms, succeed, rssMiB, liveMiB } = JSON.parse(out.stdout.trim().split('\n').at(-1));
    if (succeed !== n) throw new Error(`${succeed} of ${n} jobs succeeded`);
    console.log(
      `${String(n).padEnd(10)} ${`${(ms / 1000).toFixed(2)} s`.padEnd(10)} ${`${((ms * 1000) / n).toFixed(0)} µs`.padEnd(10)} ${`${rssMiB.toFixed(0)} MiB`.padEnd(10)} ${liveMiB.toFixed(0)} MiB`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Median wall time of `runs` runs of a command, in ms. */
function median(command, args, runs = 9) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    spawnSync(command, args, { stdio: 'ignore' });
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
}
const help = median(process.execPath, [cli, '--help']);
const bare = median(process.execPath, ['-e', '0']);
console.log(`\ncold start: hyperctl --help ${help.toFixed(0)} ms, node -e 0 ${bare.toFixed(0)} ms, ratio ${(help / bare).toFixed(2)}`);
