// Per-job overhead of hyperctl's local backend against GNU Parallel and the floor of starting a
// process: N trivial jobs (`true`, each through `sh -c` as hyperctl runs a command), two at a
// time, state persistence on, all measured in the same run; the floor is `xargs -P2 -n1 sh -c
// true` (a process each, nothing recorded).
// Usage: npm run build && node bench/local-vs-parallel.mjs [N ...]   (default: 1000 10000)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runArgs, timed } from './timed.mjs';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);

function ensureParallel() {
  if (spawnSync('sh', ['-c', 'command -v parallel'], { stdio: 'ignore' }).status === 0) return;
  console.error('installing GNU parallel from Debian packages…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync(
    'sh',
    [
      '-c',
      'apt-get install -y -q --no-install-recommends parallel >/dev/null || (apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends parallel >/dev/null)',
    ],
    { stdio: 'inherit', env },
  );
}

ensureParallel();
const version = execFileSync('parallel', ['--version'], { encoding: 'utf8' }).split('\n')[0];
console.log(`node ${process.version}, ${version}, parallelism 2\n`);
console.log('jobs     hyperctl   parallel   parallel --joblog   xargs -P2   hyperctl / parallel --joblog   hyperctl / xargs');
for (const n of sizes.length ? sizes : [1000, 10000]) {
  const dir = mkdtempSync(join(tmpdir(), 'hyperctl-bench-'));
  try {
    const jobs = Array.from({ length: n }, (_, i) => ({ name: `j${i}`, params: { i }, execution: { command: 'true' } }));
    writeFileSync(join(dir, 'batch.json'), JSON.stringify({ name: 'bench', jobs }));
    const input = Array.from({ length: n }, (_, i) => `${i}\n`).join('');
    const hyperctl = timed(process.execPath, runArgs(cli, join(dir, 'batch.json'), join(dir, 'data'), '-p', '2'));
    const parallel = timed('parallel', ['-j2', 'true'], { input });
    const joblog = timed('parallel', ['-j2', '--joblog', join(dir, 'joblog'), 'true'], { input });
    // xargs hands each input line to `sh -c true` as $0: one shell per job, as hyperctl starts.
    const xargs = timed('xargs', ['-P2', '-n1', 'sh', '-c', 'true'], { input });
    const row = [
      String(n).padEnd(8),
      `${(hyperctl / 1000).toFixed(2)}s`.padEnd(10),
      `${(parallel / 1000).toFixed(2)}s`.padEnd(10),
      `${(joblog / 1000).toFixed(2)}s`.padEnd(19),
      `${(xargs / 1000).toFixed(2)}s`.padEnd(11),
      (hyperctl / joblog).toFixed(2).padEnd(30),
      (hyperctl / xargs).toFixed(2),
    ];
    console.log(row.join(' '));
    console.log(
      `         per job: hyperctl ${(hyperctl / n).toFixed(2)} ms, parallel ${(parallel / n).toFixed(2)} ms, parallel --joblog ${(joblog / n).toFixed(2)} ms, xargs ${(xargs / n).toFixed(2)} ms`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
