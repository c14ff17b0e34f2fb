// Remote backend throughput against GNU Parallel over SSH: N trivial jobs (`true`) across three
// test machines (network namespaces with their own sshd) with 8 slots each, both in the same run.
// GNU Parallel gets a one-word ssh wrapper and an ssh config with ControlMaster, so it reuses one
// connection per machine as hyperctl does. Needs root.
// Usage: npm run build && node bench/ssh-vs-parallel.mjs [N]   (default: 1000)
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCommand, sshUnavailable, startBenchHosts, testUser } from './bench-hosts.mjs';
import { runArgs, timed } from './timed.mjs';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const n = Number(process.argv[2] ?? 1000);
const slots = 8;

const unavailable = sshUnavailable() ?? ensureCommand('parallel', 'parallel');
if (unavailable) {
  console.error(unavailable);
  process.exit(1);
}
const dir = mkdtempSync(join(tmpdir(), 'hyperctl-bench-'));
chmodSync(dir, 0o755);
const machinesUp = await startBenchHosts(dir, 3);
try {
  const { addresses, key, knownHosts, wrapper } = machinesUp;
  const jobs = Array.from({ length: n }, (_, i) => ({ name: `j${i}`, params: { i }, execution: { command: 'true' } }));
  const machines = addresses.map((address) => ({ hostname: address, username: testUser.name, ssh_rsa_file: key, slots }));
  writeFileSync(
    join(dir, 'batch.json'),
    JSON.stringify({ name: 'bench', jobs, backend: { type: 'remote', conf: { machines, known_hosts_file: knownHosts } } }),
  );
  const servers = addresses.map((address) => `${slots}/${address}`).join(',');
  const input = Array.from({ length: n }, (_, i) => `${i}\n`).join('');

  const hyperctl = timed(process.execPath, runArgs(cli, join(dir, 'batch.json'), join(dir, 'data')));
  const parallel = timed('parallel', ['--ssh', wrapper, '-S', servers, 'true'], { input });
  const version = execFileSync('parallel', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  console.log(`node ${process.version}, ${version}; ${n} jobs on 3 machines × ${slots} slots`);
  console.log(`hyperctl                    ${(hyperctl / 1000).toFixed(2)} s  (${(hyperctl / n).toFixed(2)} ms/job)`);
  console.log(`parallel -S, ControlMaster  ${(parallel / 1000).toFixed(2)} s  (${(parallel / n).toFixed(2)} ms/job)`);
  console.log(`ratio hyperctl / parallel   ${(hyperctl / parallel).toFixed(2)}`);
} finally {
  await machinesUp.stop();
  rmSync(dir, { recursive: true, force: true });
}
