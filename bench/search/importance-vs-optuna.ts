// Which params matter, against Optuna's get_param_importances (its default fANOVA evaluator,
// Debian's python3-optuna with python3-sklearn), on the same trials in the same run: random
// trials of a few problems (one param dominating, a categorical one dominating, two that matter
// with an unused one, a log-scaled one), each param's share by both, the ranking each gives,
// and the time each takes. Seeds 1–5 per problem.
// Usage: npx tsx bench/search/importance-vs-optuna.ts [--trials 200]
import { execFileSync } from 'node:child_process';
import { paramImportances } from '../../src/results/importance.js';
import { randomFor } from '../../src/search/prng.js';
import { ensurePythonModule, python } from './debian-python.js';

type Params = Record<string, number | string>;
interface Problem {
  readonly distributions: Record<string, { float: [number, number]; log?: boolean } | { int: [number, number] } | { categorical: string[] }>;
  readonly f: (p: Params) => number;
}

const branin = (x: number, y: number) => {
  const b = 5.1 / (4 * Math.PI ** 2);
  return (y - b * x * x + (5 / Math.PI) * x - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x) + 10;
};
const problems: Record<string, Problem> = {
  'one dominates (10x + y, z unused)': {
    distributions: { x: { float: [0, 1] }, y: { float: [0, 1] }, z: { float: [0, 1] } },
    f: (p) => 10 * (p.x as number) + (p.y as number),
  },
  'a categorical dominates (opt, lr, w unused)': {
    distributions: { opt: { categorical: ['sgd', 'adam', 'rmsprop'] }, lr: { float: [0, 1] }, w: { float: [0, 1] } },
    f: (p) => (p.opt === 'sgd' ? 5 : p.opt === 'adam' ? 0 : 1) + 0.5 * (p.lr as number),
  },
  'Branin (x, y) with z unused': {
    distributions: { x: { float: [-5, 10] }, y: { float: [0, 15] }, z: { float: [0, 1] } },
    f: (p) => branin(p.x as number, p.y as number),
  },
  'log-scaled lr dominates, depth less (int)': {
    distributions: { lr: { float: [1e-4, 1], log: true }, depth: { int: [1, 10] }, seed: { int: [0, 100] } },
    f: (p) => Math.log10(p.lr as number) ** 2 + 0.3 * (p.depth as number),
  },
};

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const trialCount = arg('trials', 200);

function draw(problem: Problem, seed: number): { params: Params; value: number }[] {
  const random = randomFor(seed, 0x1ab);
  return Array.from({ length: trialCount }, () => {
    const params: Params = {};
    for (const [name, d] of Object.entries(problem.distributions)) {
      const u = random();
      if ('float' in d)
        params[name] = d.log ? Math.exp(Math.log(d.float[0]) + u * (Math.log(d.float[1]) - Math.log(d.float[0]))) : d.float[0] + u * (d.float[1] - d.float[0]);
      else if ('int' in d) params[name] = d.int[0] + Math.floor(u * (d.int[1] - d.int[0] + 1));
      else params[name] = d.categorical[Math.floor(u * d.categorical.length)]!;
    }
    return { params, value: problem.f(params) };
  });
}

ensurePythonModule('optuna', 'python3-optuna');
ensurePythonModule('sklearn', 'python3-sklearn');
const script = new URL('optuna_importance.py', import.meta.url).pathname;
const ranking = (shares: Record<string, number>) =>
  Object.entries(shares)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([name]) => name);
const show = (shares: Record<string, number>) =>
  ranking(shares)
    .map((name) => `${name} ${shares[name]!.toFixed(3)}`)
    .join(', ');

let version = '';
console.log(`node ${process.version}; ${trialCount} random trials per problem and seed\n`);
for (const [title, problem] of Object.entries(problems)) {
  console.log(title);
  let same = 0;
  let sameTop = 0;
  const times = { ours: 0, theirs: 0 };
  for (let seed = 1; seed <= 5; seed++) {
    const trials = draw(problem, seed);
    const start = performance.now();
    const ours = Object.fromEntries(paramImportances(trials, { seed }).map((p) => [p.param, p.importance]));
    times.ours += performance.now() - start;
    const answer = JSON.parse(
      execFileSync(python, [script], { input: JSON.stringify({ distributions: problem.distributions, trials, seed }), encoding: 'utf8', maxBuffer: 1 << 24 }),
    ) as { importances: Record<string, number>; ms: number; version: string };
    version = answer.version;
    times.theirs += answer.ms;
    const a = ranking(ours);
    const b = ranking(answer.importances);
    if (a.join() === b.join()) same++;
    if (a[0] === b[0]) sameTop++;
    console.log(`  seed ${seed}: hyperctl ${show(ours)}  |  optuna ${show(answer.importances)}`);
  }
  console.log(
    `  same ranking ${same}/5, same first ${sameTop}/5; time per evaluation: hyperctl ${(times.ours / 5).toFixed(0)} ms, optuna ${(times.theirs / 5).toFixed(0)} ms\n`,
  );
}
console.log(`optuna ${version}`);
