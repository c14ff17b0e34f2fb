// Early stopping against the full grid: 27 trials whose jobs print a learning curve (loss over 30
// steps, 50 ms a step), run through `hyperctl run -p 4` three ways: every trial to its end, ASHA,
// and the median rule. Reports the trial-steps executed, the wall time, and whether the best
// trial by final loss (known from the curves) ran to its end.
// Usage: npm run build && node bench/early-stopping.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const steps = 30;

// Curves that cross: a low floor may start slow, so the final ranking shows early only mostly.
const trials = Array.from({ length: 27 }, (_, i) => ({
  floor: Number((((i * 7) % 27) / 27).toFixed(3)),
  speed: Number((0.4 + ((i * 5) % 9) / 10).toFixed(2)),
  wobble: Number((((i * 11) % 5) / 50).toFixed(2)),
}));
/** The same curve as the job's awk: loss at step s. */
const loss = (t, s) => t.floor + 2 / s ** t.speed + t.wobble * Math.sin(s);
const command = `s=1; while [ $s -le ${steps} ]; do awk -v f={floor} -v p={speed} -v w={wobble} -v s=$s 'BEGIN { printf "hyperctl:metrics {\\"loss\\": %.6f, \\"_step\\": %d}\\n", f + 2 / s ^ p + w * sin(s), s }'; sleep 0.05; s=$((s + 1)); done`;

const finals = trials.map((t) => loss(t, steps));
const ranked = [...finals].sort((a, b) => a - b);
const topCut = ranked[Math.max(0, Math.ceil(0.05 * trials.length) - 1)];

function run(label, earlyStopping) {
  const dir = mkdtempSync(join(tmpdir(), 'hyperctl-es-bench-'));
  const jobs = trials.map((t) => ({ params: t, execution: { command } }));
  writeFileSync(join(dir, 'batch.json'), JSON.stringify({ name: 'es', jobs, ...(earlyStopping ? { early_stopping: earlyStopping } : {}) }));
  const start = process.hrtime.bigint();
  const summary = JSON.parse(
    execFileSync(
      process.execPath,
      [cli, 'run', '--json', '--exit-on-finish', '--port', '0', '-p', '4', join(dir, 'batch.json'), '--batches-data-dir', join(dir, 'data')],
      {
        encoding: 'utf8',
      },
    ),
  );
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  let executed = 0;
  let bestKept = Number.POSITIVE_INFINITY;
  for (const job of summary.jobs) {
    executed += readFileSync(join(job.dataDir, 'stdout'), 'utf8').split('\n').filter(Boolean).length;
    if (job.status === 'succeed') bestKept = Math.min(bestKept, loss(job.params, steps));
  }
  rmSync(dir, { recursive: true, force: true });
  const pruned = summary.counts.pruned;
  console.log(
    `| ${label} | ${executed} (${((100 * executed) / (trials.length * steps)).toFixed(0)}%) | ${wall.toFixed(1)} s | ${pruned} | ${bestKept.toFixed(4)} (best ${ranked[0].toFixed(4)}) | ${bestKept <= topCut ? 'yes' : 'no'} |`,
  );
}

console.log('| run | trial-steps executed | wall time | pruned | best final loss kept | within the top 5% |');
console.log('|---|---:|---:|---:|---:|---|');
run('grid, every trial to its end', undefined);
run('ASHA (min_steps 2, η 3)', { rule: 'asha', metric: 'loss', min_steps: 2, reduction_factor: 3 });
run('median (min_steps 5, min_trials 3)', { rule: 'median', metric: 'loss', min_steps: 5, min_trials: 3 });
