import type { JobConfig } from '../../src/index.js';
import { chmodSync, cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir, repoDir } from './cli.js';

const post = `${process.execPath} -e "fetch(process.env.HYPERCTL_SERVER_PORTAL + '/api/v1/jobs/' + process.env.HYPERCTL_JOB_NAME + '/metrics', { method: 'POST', body: JSON.stringify({ f1: 0.75, _step: 7 }) }).then((r) => process.exit(r.status === 202 ? 0 : 1))"`;

/**
 * Jobs that report through each channel: the library, a stdout line, metrics.json, and the daemon.
 * `fixtures` is where `report-metrics.mjs` can import `hyperctl/job` (see {@link stageForTestUser}).
 */
export function metricJobs(fixtures = fixturesDir): JobConfig[] {
  return [
    { name: 'library', params: { lr: 0.25 }, execution: { command: `${process.execPath} ${join(fixtures, 'report-metrics.mjs')}` } },
    {
      name: 'line',
      params: { lr: 0.5 },
      execution: { command: `echo 'hyperctl:metrics {"accuracy": 0.5}'; echo 'not a metric'; echo 'hyperctl:metrics {"accuracy": 0.75, "_step": 2}'` },
    },
    {
      name: 'file',
      params: { lr: 0.75 },
      execution: { command: `echo 'hyperctl:metrics {"accuracy": 0.1}'; printf '{"accuracy": 0.9,\\n "epochs": 3}' > "$HYPERCTL_JOB_DATA_DIR/metrics.json"` },
    },
    { name: 'posted', params: { lr: 1 }, execution: { command: post } },
  ];
}

/** What the jobs of {@link metricJobs} end with: the last value of each metric. */
export const reportedMetrics = {
  library: { loss: 1 / 3, accuracy: 0.5, optimizer: 'sgd' },
  line: { accuracy: 0.75 },
  file: { accuracy: 0.9, epochs: 3 },
  posted: { f1: 0.75 },
};

/**
 * Copies the built package and the fixtures into `dir`, readable by every user: jobs that log in
 * as the test user may not read a checkout in root's home.
 */
export function stageForTestUser(dir: string): string {
  const pkg = join(dir, 'node_modules', 'hyperctl');
  mkdirSync(pkg, { recursive: true });
  cpSync(join(repoDir, 'package.json'), join(pkg, 'package.json'));
  cpSync(join(repoDir, 'dist'), join(pkg, 'dist'), { recursive: true });
  cpSync(fixturesDir, join(dir, 'fixtures'), { recursive: true });
  chmodSync(dir, 0o755);
  return join(dir, 'fixtures');
}
