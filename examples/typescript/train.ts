// A job in TypeScript. Node 20 does not run .ts files by itself: the config runs this one with
// `npx tsx train.ts` (tsx is a development dependency: `npm install --save-dev tsx`). On Node 22.6+
// `node --experimental-strip-types train.ts` works too, and on Node 23.6+ plain `node train.ts`.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getJobDataDir, getJobParams } from 'hyperctl/job';

interface Params {
  readonly optimizer: 'sgd' | 'adam';
  readonly epochs: number;
}

const { optimizer, epochs } = await getJobParams<Params>();
const loss: number = (optimizer === 'adam' ? 0.5 : 0.8) / epochs;
// Outputs belong in the job's data folder, next to its stdout and stderr.
await writeFile(join(getJobDataDir(), 'result.json'), JSON.stringify({ loss }));
console.log(`${optimizer} x${epochs}: loss ${loss}`);
