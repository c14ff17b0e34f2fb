// Remote backend throughput against GNU Parallel over SSH: N trivial jobs (`true`) across three
// test machines (network namespaces with their own sshd) with 8 slots each, both in the same run.
// GNU Parallel gets a one-word ssh wrapper and an ssh config with ControlMaster, so it reuses one
// connection per machine as hyperctl does. Needs root.
// Usage: npm run build && node bench/ssh-vs-parallel.mjs [N]   (default: 1000)
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { timed } from './timed.mjs';
import { createJiti } from 'jiti';

const jiti = createJiti(import.meta.url);
const { clientHome, makeClientKey, sshUnavailable, startSshd, testUser } = await jiti.import('../test/helpers/sshd.ts');
const { createNetwork } = await jiti.import('../test/helpers/netns.ts');
const { ensureCommand } = await jiti.import('../test/helpers/system.ts');

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
const network = createNetwork(3);
const hosts = [];
try {
  const client = makeClientKey(dir);
  for (const [i, h] of network.hosts.entries())
    hosts.push(await startSshd(join(dir, `host${i}`), { address: h.address, port: 22, authorizedKeys: [client.publicKey], netns: h.namespace }));
  const knownHosts = join(clientHome(join(dir, 'home'), hosts), '.ssh', 'known_hosts');

  const jobs = Array.from({ length: n }, (_, i) => ({ name: `j${i}`, params: { i }, execution: { command: 'true' } }));
  const machines = network.hosts.map((h) => ({ hostname: h.address, username: testUser.name, ssh_rsa_file: client.key, slots }));
  writeFileSync(
    join(dir, 'batch.json'),
    JSON.stringify({ name: 'bench', jobs, backend: { type: 'remote', conf: { machines, known_hosts_file: knownHosts } } }),
  );

  const sshConfig = join(dir, 'ssh_config');
  writeFileSync(
    sshConfig,
    [
      `Host *`,
      `  User ${testUser.name}`,
      `  IdentityFile ${client.key}`,
      `  UserKnownHostsFile ${knownHosts}`,
      '  StrictHostKeyChecking yes',
      '  ControlMaster auto',
      `  ControlPath ${dir}/cm-%r@%h:%p`,
      '  ControlPersist 60',
      '',
    ].join('\n'),
  );
  const wrapper = join(dir, 'sshw');
  writeFileSync(wrapper, `#!/bin/sh\nexec ssh -F ${sshConfig} "$@"\n`, { mode: 0o755 });
  const servers = network.hosts.map((h) => `${slots}/${h.address}`).join(',');
  const input = Array.from({ length: n }, (_, i) => `${i}\n`).join('');
  // Open the control masters first, one per machine, so every later ssh multiplexes over them.
  for (const h of network.hosts) timed(wrapper, [h.address, 'true']);

  const hyperctl = timed(process.execPath, [
    cli,
    'run',
    '--exit-on-finish',
    '--port',
    '0',
    '-c',
    join(dir, 'batch.json'),
    '--json',
    '--batches-data-dir',
    join(dir, 'data'),
  ]);
  const parallel = timed('parallel', ['--ssh', wrapper, '-S', servers, 'true'], { input });
  const version = execFileSync('parallel', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  console.log(`node ${process.version}, ${version}; ${n} jobs on 3 machines × ${slots} slots`);
  console.log(`hyperctl                    ${(hyperctl / 1000).toFixed(2)} s  (${(hyperctl / n).toFixed(2)} ms/job)`);
  console.log(`parallel -S, ControlMaster  ${(parallel / 1000).toFixed(2)} s  (${(parallel / n).toFixed(2)} ms/job)`);
  console.log(`ratio hyperctl / parallel   ${(hyperctl / parallel).toFixed(2)}`);
} finally {
  for (const h of network.hosts) spawnSync('ssh', ['-F', join(dir, 'ssh_config'), '-O', 'exit', h.address], { stdio: 'ignore' });
  await Promise.all(hosts.map((h) => h.stop()));
  await network.remove();
  rmSync(dir, { recursive: true, force: true });
}
