// What one proposal costs a search of several objectives as it grows: TPE (joint, the default)
// with 1,000, 5,000 and 10,000 trials ended, 2, 3 and 4 objectives, three params; median of 5
// proposals. Two kinds of trials: objectives that vary apart (the front a small share of the
// trials), and the worst case, two objectives that always trade exactly, so that every trial is on
// the front and the split weighs all of them.
// Usage: npx tsx bench/search/multi-objective-cost.ts
import type { SearchSpec } from '../../src/batch/spec.js';
import { randomFor } from '../../src/search/prng.js';
import { proposeTrial, type TrialView } from '../../src/search/propose.js';
import { parseSearchSpace } from '../../src/search/space.js';

const space = { x: { uniform: [0, 1] }, y: { uniform: [0, 1] }, z: { uniform: [0, 1] } };
const { space: parsed } = parseSearchSpace(space);

function msPerProposal(objectives: number, trials: number, everyOnFront: boolean): number {
  const search: SearchSpec = {
    algorithm: 'tpe',
    goal: 'min',
    objectives: Array.from({ length: objectives }, (_, i) => ({ metric: `f${i}`, goal: 'min' as const })),
    seed: 1,
    startupTrials: 10,
    multivariate: true,
    space,
    template: { command: 'true', retries: 0 },
  };
  const random = randomFor(3);
  const history: TrialView[] = Array.from({ length: trials }, () => {
    const [x, y, z] = [random(), random(), random()];
    // Every trial on the front: the first objective and the last always trade exactly.
    const losses = everyOnFront ? [x, ...Array.from({ length: objectives - 2 }, () => random()), 1 - x] : Array.from({ length: objectives }, () => random());
    return { point: { x, y, z }, params: { x, y, z }, loss: losses };
  });
  const times = Array.from({ length: 5 }, (_, k) => {
    const start = performance.now();
    proposeTrial(parsed, search, trials + 1 + k, history);
    return performance.now() - start;
  }).sort((a, b) => a - b);
  return times[2]!;
}

console.log(`node ${process.version}; ms a proposal, median of 5`);
for (const everyOnFront of [false, true]) {
  console.log(everyOnFront ? '\nevery trial on the front' : 'objectives that vary apart');
  console.log('objectives   1,000 trials   5,000 trials   10,000 trials');
  for (const objectives of [2, 3, 4])
    console.log(
      `${String(objectives).padEnd(12)} ${[1000, 5000, 10_000].map((n) => `${msPerProposal(objectives, n, everyOnFront).toFixed(1)} ms`.padStart(12)).join('   ')}`,
    );
}
