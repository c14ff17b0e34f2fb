// A batch defined in TypeScript: `npx hyperctl run` in this folder finds and loads it, no build step.
// Its jobs are TypeScript too (train.ts), run with tsx on Node 20.
import { defineBatch, generateJobs } from 'hyperctl';

export default defineBatch({
  name: 'typescript-example',
  backend: { type: 'local', conf: { parallelism: 2 } },
  daemon: { exit_on_finish: true },
  jobs: [...generateJobs({ params: { optimizer: ['sgd', 'adam'], epochs: [1, 2] }, execution: { command: 'npx tsx train.ts', working_dir: '.' } })],
});
