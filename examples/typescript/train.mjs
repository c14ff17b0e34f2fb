import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getJobDataDir, getJobParams } from 'hyperctl/job';

const { optimizer, epochs } = await getJobParams();
const loss = (optimizer === 'adam' ? 0.5 : 0.8) / epochs;
// Outputs belong in the job's data folder, next to its stdout and stderr.
await writeFile(join(getJobDataDir(), 'result.json'), JSON.stringify({ loss }));
console.log(`${optimizer} x${epochs}: loss ${loss}`);
