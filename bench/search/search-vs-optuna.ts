// Quality and speed of hyperctl's TPE against Optuna's (Debian's python3-optuna), in the same run.
// Quality: the best value found in 50 trials on Branin (2-D), Hartmann-6 (6-D) and a mixed space
// (log-scaled, integer and categorical params), 60 seeds, one slot and four (four trials asked at
// once, then told: both samplers with a constant liar), and hyperctl's random search as the floor.
// The samplers are called in-process, the objectives evaluated in the same process: this measures
// the samplers, not job start-up. Latency: one proposal with 1,000 and 10,000 finished trials (6-D).
// Usage: npx tsx bench/search/search-vs-optuna.ts [--seeds 60] [--trials 50]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SearchSpec } from '../../src/batch/spec.js';
import { proposeTrial, type TrialView } from '../../src/search/propose.js';
import { parseSearchSpace } from '../../src/search/space.js';
import { ensurePythonModule, python } from './debian-python.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const problems = JSON.parse(readFileSync(`${here}problems.json`, 'utf8')) as Record<string, Record<string, unknown>>;
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const seeds = arg('seeds', 60);
const trials = arg('trials', 50);
const A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
];
const alpha = [1.0, 1.2, 3.0, 3.2];

/** The same objectives as optuna_tpe.py's. */
function objective(problem: string, p: Record<string, unknown>): number {
  const n = (k: string) => p[k] as number;
  if (problem === 'branin') {
    const b = 5.1 / (4 * Math.PI ** 2);
    return (n('y') - b * n('x') ** 2 + (5 / Math.PI) * n('x') - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(n('x')) + 10;
  }
  if (problem === 'hartmann6') {
    const xs = [1, 2, 3, 4, 5, 6].map((i) => n(`x${i}`));
    return -alpha.reduce((sum, a, i) => sum + a * Math.exp(-xs.reduce((s, x, j) => s + A[i]![j]! * (x - P[i]![j]! * 1e-4) ** 2, 0)), 0);
  }
  const penalty = { sgd: 0.5, adam: 0, rmsprop: 0.2 }[p.opt as 'sgd'];
  return (Math.log10(n('lr')) + 3) ** 2 + 0.1 * (n('layers') - 4) ** 2 + 0.2 * (Math.log2(n('width')) - 7) ** 2 + penalty + 4 * (n('dropout') - 0.1) ** 2;
}

const settings = (algorithm: SearchSpec['algorithm'], seed: number, multivariate = false): SearchSpec => ({
  algorithm,
  multivariate,
  metric: 'f',
  goal: 'min',
  seed,
  startupTrials: 10,
  space: {},
  template: { command: 'true', retries: 0 },
});

/** The best value one search finds: `slots` trials proposed at once (the others running), then told. */
function hyperctlBest(problem: string, algorithm: SearchSpec['algorithm'], slots: number, seed: number, multivariate = false): number {
  const { space } = parseSearchSpace(problems[problem]!);
  const history: TrialView[] = [];
  while (history.length < trials) {
    const batch: number[] = [];
    for (let s = 0; s < slots && history.length < trials; s++) {
      const p = proposeTrial(space, settings(algorithm, seed, multivariate), history.length + 1, history)!;
      batch.push(history.length);
      history.push({ point: p.point, params: p.params, loss: undefined });
    }
    for (const i of batch) history[i] = { ...history[i]!, loss: objective(problem, history[i]!.params) };
  }
  return Math.min(...history.map((t) => t.loss as number));
}

function quartiles(values: number[]): string {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))]!;
  return `${at(0.5).toFixed(4)} (${at(0.25).toFixed(4)}–${at(0.75).toFixed(4)})`;
}

/**
 * Mann–Whitney's two-sided p-value (normal approximation, ties averaged) for "the two sets of best
 * values come from the same distribution": a small p means one sampler is really better.
 */
function mannWhitneyP(a: readonly number[], b: readonly number[]): number {
  const all = [...a.map((v) => ({ v, first: true })), ...b.map((v) => ({ v, first: false }))].sort((x, y) => x.v - y.v);
  const ranks = new Array<number>(all.length);
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
    for (let k = i; k <= j; k++) ranks[k] = (i + j) / 2 + 1;
    i = j + 1;
  }
  const r1 = all.reduce((sum, x, i) => sum + (x.first ? ranks[i]! : 0), 0);
  const [n1, n2] = [a.length, b.length];
  const u = r1 - (n1 * (n1 + 1)) / 2;
  const z = Math.abs(u - (n1 * n2) / 2) / Math.sqrt((n1 * n2 * (n1 + n2 + 1)) / 12);
  // Two-sided tail of the standard normal (Abramowitz–Stegun 7.1.26 for erfc).
  const t = 1 / (1 + 0.3275911 * (z / Math.SQRT2));
  const erfc = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(z * z) / 2);
  return erfc;
}

function hyperctlLatency(n: number): number {
  const { space } = parseSearchSpace(problems.hartmann6!);
  const history: TrialView[] = [];
  for (let i = 1; i <= n; i++) {
    const p = proposeTrial(space, settings('random', 1), i, [])!;
    history.push({ point: p.point, params: p.params, loss: objective('hartmann6', p.params) });
  }
  const times: number[] = [];
  for (let k = 0; k < 5; k++) {
    const start = process.hrtime.bigint();
    proposeTrial(space, settings('tpe', 1), n + 1 + k, history);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times.sort((a, b) => a - b)[2]!;
}

ensurePythonModule('optuna', 'python3-optuna');
const optunaVersion = execFileSync(python, ['-c', 'import optuna; print(optuna.__version__)'], { encoding: 'utf8' }).trim();
console.log(`# ${trials} trials, ${seeds} seeds; median best value (quartiles); lower is better; Optuna ${optunaVersion}\n`);
console.log('| problem | slots | hyperctl tpe | Optuna TPE | p (tpe vs Optuna) | hyperctl tpe, multivariate | hyperctl random |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const problem of Object.keys(problems)) {
  for (const slots of [1, 4]) {
    const seedList = Array.from({ length: seeds }, (_, i) => i + 1);
    const tpe = seedList.map((seed) => hyperctlBest(problem, 'tpe', slots, seed));
    const random = seedList.map((seed) => hyperctlBest(problem, 'random', slots, seed));
    const joint = seedList.map((seed) => hyperctlBest(problem, 'tpe', slots, seed, true));
    const optuna = JSON.parse(
      execFileSync(python, [`${here}optuna_tpe.py`, 'quality', problem, String(slots), String(seeds), String(trials)], { encoding: 'utf8' }),
    ) as number[];
    console.log(
      `| ${problem} | ${slots} | ${quartiles(tpe)} | ${quartiles(optuna)} | ${mannWhitneyP(tpe, optuna).toFixed(2)} | ${quartiles(joint)} | ${quartiles(random)} |`,
    );
  }
}
console.log('\n| finished trials | hyperctl tpe, one proposal | Optuna TPE, one ask | Optuna / hyperctl |');
console.log('|---:|---:|---:|---:|');
for (const n of [1000, 10_000]) {
  const ours = hyperctlLatency(n);
  const theirs = (JSON.parse(execFileSync(python, [`${here}optuna_tpe.py`, 'latency', String(n)], { encoding: 'utf8', maxBuffer: 1 << 24 })) as { ms: number })
    .ms;
  console.log(`| ${n.toLocaleString('en')} | ${ours.toFixed(1)} ms | ${theirs.toFixed(1)} ms | ${(theirs / ours).toFixed(1)} |`);
}

// The same search as real shell jobs: 50 trials of Branin through `hyperctl run`, one slot, awk as the objective.
const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'hyperctl-search-bench-'));
const objectiveCommand = `awk -v x={x} -v y={y} 'BEGIN { pi = atan2(0, -1); b = 5.1 / (4 * pi * pi); f = (y - b * x * x + 5 / pi * x - 6) ^ 2 + 10 * (1 - 1 / (8 * pi)) * cos(x) + 10; printf "hyperctl:metrics {\\"loss\\": %.12f}\\n", f }'`;
writeFileSync(
  join(dir, 'search.json'),
  JSON.stringify({
    name: 'bench',
    params: problems.branin,
    execution: { command: objectiveCommand },
    search: { algorithm: 'tpe', metric: 'loss', max_trials: trials, seed: 1 },
    daemon: { exit_on_finish: true, port: 0 },
  }),
);
const start = process.hrtime.bigint();
const run = JSON.parse(
  execFileSync(process.execPath, [cli, 'run', '--json', join(dir, 'search.json'), '--batches-data-dir', join(dir, 'data')], { encoding: 'utf8' }),
);
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
console.log(
  `\n${trials} trials of Branin as shell jobs through hyperctl run (one slot): ${seconds.toFixed(2)} s, ${((seconds / trials) * 1000).toFixed(0)} ms a trial; best ${run.search.best.value.toFixed(4)}`,
);
rmSync(dir, { recursive: true, force: true });
