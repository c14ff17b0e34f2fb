// A search of two objectives against Optuna's NSGA-II and MOTPE (Debian's python3-optuna, in
// the same run): ZDT1 (convex front) and ZDT2 (concave front), five params in [0, 1], both
// objectives minimised, 60 trials, seeds 1–20. Each search's quality is the hypervolume its
// trials dominate up to (1.1, 10), measured by one function for all; random draws are the floor.
// hyperctl's default for several objectives models params jointly; the row beside it does not,
// and Optuna's MOTPE is shown both ways too (its default is one param at a time).
// Usage: npx tsx bench/search/multi-objective-vs-optuna.ts [--seeds 20] [--trials 60]
import { execFileSync } from 'node:child_process';
import { hypervolume } from '../../src/results/pareto.js';
import { ensurePythonModule, python } from './debian-python.js';
import { type Zdt, zdtSearch } from './zdt.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const seeds = arg('seeds', 20);
const trials = arg('trials', 60);
const reference = [1.1, 10];

const quartiles = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))]!;
  return { median: at(0.5), text: `${at(0.5).toFixed(3)} (${at(0.25).toFixed(3)}–${at(0.75).toFixed(3)})` };
};

ensurePythonModule('optuna', 'python3-optuna');
const script = new URL('optuna_multi.py', import.meta.url).pathname;
console.log(`node ${process.version}; ${trials} trials, seeds 1–${seeds}; hypervolume up to (${reference.join(', ')}), median (quartiles)\n`);
for (const problem of ['zdt1', 'zdt2'] as Zdt[]) {
  const volumes = (runs: number[][][]) => runs.map((run) => hypervolume(run, reference));
  const theirs = (sampler: string) => {
    const started = performance.now();
    const runs = JSON.parse(
      execFileSync(python, [script, problem, sampler, String(seeds), String(trials)], { encoding: 'utf8', maxBuffer: 1 << 28 }),
    ) as number[][][];
    return { volumes: volumes(runs), ms: (performance.now() - started) / seeds };
  };
  const timed = (run: (seed: number) => number[][]) => {
    const started = performance.now();
    const runs = Array.from({ length: seeds }, (_, i) => run(i + 1));
    return { volumes: volumes(runs), ms: (performance.now() - started) / seeds };
  };
  const rows: [string, { volumes: number[]; ms: number }][] = [
    ['hyperctl tpe (default: joint)', timed((seed) => zdtSearch(problem, 'tpe', seed, trials, true))],
    ['hyperctl tpe, multivariate: false', timed((seed) => zdtSearch(problem, 'tpe', seed, trials))],
    ['hyperctl random', timed((seed) => zdtSearch(problem, 'random', seed, trials))],
    ['Optuna NSGA-II', theirs('nsga2')],
    ['Optuna MOTPE', theirs('motpe')],
    ['Optuna MOTPE, multivariate=True', theirs('motpe-joint')],
  ];
  console.log(problem.toUpperCase());
  for (const [name, { volumes: v, ms }] of rows) console.log(`  ${name.padEnd(34)} ${quartiles(v).text}   ${ms.toFixed(0)} ms a search`);
  const best = Math.max(quartiles(rows[3]![1].volumes).median, quartiles(rows[4]![1].volumes).median);
  const mine = quartiles(rows[0]![1].volumes).median;
  console.log(`  target (hyperctl's default median ≥ the better of Optuna's): ${mine.toFixed(3)} vs ${best.toFixed(3)}: ${mine >= best ? 'met' : 'not met'}\n`);
}
