// A wide SSH pool: M test machines (network namespaces, each with its own sshd; default 30) with
// 4 slots each run N short jobs (`true`, default 3,000) from one `hyperctl run`. Reported: whether
// every machine ran jobs, how long after the run's start each machine's first job started (the
// connections are set up at once, not one after another), the wall time, and the runner's peak
// resident memory and open file descriptors (sampled from /proc every 50 ms). The floor, in the
// same run: OpenSSH's client connecting to every machine at once and running `true` (one process
// per machine), when each of those ended; its last against the last machine's first job counted from
// the CLI's start (the CLI's own start and the connections included). Needs root.
// Usage: npm run build && node bench/ssh-pool-breadth.mjs [machines] [jobs] [slots each]
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sshUnavailable, startBenchHosts, testUser } from './bench-hosts.mjs';
import { runArgs } from './timed.mjs';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const machineCount = Number(process.argv[2] ?? 30);
const n = Number(process.argv[3] ?? 3000);
const slots = Number(process.argv[4] ?? 4);

const unavailable = sshUnavailable();
if (unavailable) {
  console.error(unavailable);
  process.exit(1);
}

/** The runner's resident memory (KiB) and open descriptors now, or undefined once it is gone. */
function sample(pid) {
  try {
    const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    return { rss, fds: readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return undefined;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'hyperctl-bench-'));
chmodSync(dir, 0o755);
const machinesUp = await startBenchHosts(dir, machineCount);
try {
  const { addresses, key, knownHosts } = machinesUp;
  const jobs = Array.from({ length: n }, (_, i) => ({ name: `j${i}`, params: { i }, execution: { command: 'true' } }));
  const machines = addresses.map((address) => ({ hostname: address, username: testUser.name, ssh_rsa_file: key, slots }));
  writeFileSync(
    join(dir, 'batch.json'),
    JSON.stringify({ name: 'bench', jobs, backend: { type: 'remote', conf: { machines, known_hosts_file: knownHosts } } }),
  );

  // The floor: every machine's sshd and key exchange, on this machine's cores, without hyperctl.
  const floorStart = performance.now();
  const floor = (
    await Promise.all(
      addresses.map(
        (address) =>
          new Promise((resolve, reject) => {
            const ssh = spawn(
              'ssh',
              [
                '-i',
                key,
                '-o',
                'BatchMode=yes',
                '-o',
                `UserKnownHostsFile=${knownHosts}`,
                '-o',
                'StrictHostKeyChecking=yes',
                `${testUser.name}@${address}`,
                'true',
              ],
              { stdio: 'ignore' },
            );
            ssh.on('close', (code) => (code === 0 ? resolve(performance.now() - floorStart) : reject(new Error(`ssh ${address} true: exit ${code}`))));
          }),
      ),
    )
  ).sort((a, b) => a - b);

  const start = performance.now();
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, runArgs(cli, join(dir, 'batch.json'), join(dir, 'data')), { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  let peakRss = 0;
  let peakFds = 0;
  const sampler = setInterval(() => {
    const now = sample(child.pid);
    if (!now) return;
    peakRss = Math.max(peakRss, now.rss);
    peakFds = Math.max(peakFds, now.fds);
  }, 50);
  const code = await new Promise((resolve) => child.on('close', resolve));
  clearInterval(sampler);
  const wall = performance.now() - start;
  if (code !== 0) throw new Error(`hyperctl run exited ${code}`);
  const result = JSON.parse(out);
  const first = new Map();
  for (const job of result.jobs)
    if (job.startedAt !== undefined) first.set(job.host, Math.min(first.get(job.host) ?? Number.POSITIVE_INFINITY, Date.parse(job.startedAt)));
  const delays = [...first.values()].map((at) => at - Date.parse(result.startedAt)).sort((a, b) => a - b);
  // From the CLI's own start: what a user waits for, the connections and the CLI's start included.
  const fromSpawn = [...first.values()].map((at) => at - spawnedAt).sort((a, b) => a - b);
  console.log(`node ${process.version}; ${n} jobs (true) on ${machineCount} machines × ${slots} slots, one run`);
  console.log(`succeeded                          ${result.counts.succeed} of ${n}`);
  console.log(`machines that ran jobs             ${first.size} of ${machineCount}`);
  console.log(`first job on each machine, after the run's start: median ${delays[Math.floor(delays.length / 2)]} ms, last ${delays.at(-1)} ms`);
  console.log(`... after the CLI was started:       median ${fromSpawn[Math.floor(fromSpawn.length / 2)]} ms, last ${fromSpawn.at(-1)} ms`);
  console.log(
    `floor: ssh HOST true, all at once:  median ${floor[Math.floor(floor.length / 2)].toFixed(0)} ms, last ${floor.at(-1).toFixed(0)} ms after they began`,
  );
  console.log(`wall time (CLI start to end)       ${(wall / 1000).toFixed(2)} s  (${(wall / n).toFixed(2)} ms/job)`);
  console.log(`runner peak RSS                    ${(peakRss / 1024).toFixed(0)} MiB`);
  console.log(`runner peak open descriptors       ${peakFds}`);
} finally {
  await machinesUp.stop();
  rmSync(dir, { recursive: true, force: true });
}
