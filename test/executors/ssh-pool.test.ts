import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBatch, type BatchEvent, type JobConfig, type RemoteMachineConfig } from '../../src/index.js';
import { waitFor } from '../helpers/processes.js';
import { clientHome, makeClientKey, sshUnavailable, startSshd, testUser, type TestHost } from '../helpers/sshd.js';
import { createNetwork, type TestNetwork } from '../helpers/netns.js';
import { tempDir } from '../helpers/tmp.js';

let skipReason: string | undefined;
let network: TestNetwork;
let shared: string;
let key: string;
let publicKey: string;
let hosts: TestHost[] = [];
let knownHosts: string;

beforeAll(async () => {
  skipReason = sshUnavailable();
  if (skipReason) return;
  shared = mkdtempSync(join(tmpdir(), 'hyperctl-pool-'));
  chmodSync(shared, 0o755);
  const client = makeClientKey(shared);
  key = client.key;
  publicKey = client.publicKey;
  network = createNetwork(3);
  hosts = await Promise.all(
    network.hosts.map((h, i) =>
      startSshd(join(shared, `host${i}`), { address: h.address, port: 22, authorizedKeys: [client.publicKey], netns: h.namespace, hostname: `box${i}` }),
    ),
  );
  knownHosts = join(clientHome(join(shared, 'home'), hosts), '.ssh', 'known_hosts');
}, 60_000);

afterAll(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
  await network?.remove();
  if (shared) rmSync(shared, { recursive: true, force: true });
});

function machines(slots: number): RemoteMachineConfig[] {
  return network.hosts.map((h) => ({ hostname: h.address, username: testUser.name, ssh_rsa_file: key, slots }));
}

/** Per host, the most jobs that ran at once, from each job's own start and end times. */
function peakPerHost(lines: readonly string[]): Map<string, number> {
  const spans = lines.map((l) => l.split(' ')).map(([host, start, end]) => ({ host: host!, start: Number(start), end: Number(end) }));
  const peak = new Map<string, number>();
  for (const a of spans) {
    const overlapping = spans.filter((b) => b.host === a.host && b.start <= a.start && a.start < b.end).length;
    peak.set(a.host, Math.max(peak.get(a.host) ?? 0, overlapping));
  }
  return peak;
}

/** A folder every user may write in. */
function openDir(): string {
  const dir = tempDir();
  chmodSync(dir, 0o777);
  return dir;
}

/**
 * A job as the original tool's client is: it asks the portal's job route for its params (Python's
 * urllib) and prints the portal's host and port, then its params.
 */
const originalClient = `python3 -c "import json, os, urllib.request as u; p = os.environ['HYPERCTL_SERVER_PORTAL']; print(p.split('/')[2], json.dumps(json.load(u.urlopen(p + '/hyperctl/api/job/' + os.environ['HYPERCTL_JOB_NAME']))['data']['params'], separators=(',', ':')))"`;

/** Posts a metric to the daemon through the portal. */
const postMetric = `${process.execPath} -e "fetch(process.env.HYPERCTL_SERVER_PORTAL + '/api/v1/jobs/' + process.env.HYPERCTL_JOB_NAME + '/metrics', { method: 'POST', body: JSON.stringify({ reached: 1 }) }).then((r) => process.exit(r.status === 202 ? 0 : 1))"`;

/** Waits until `file` exists. */
function untilExists(file: string): string {
  return `while [ ! -e ${file} ]; do sleep 0.05; done`;
}

describe('the remote backend on a pool of machines', () => {
  it('spreads a batch over three machines, never more jobs on one than its slots, and jobs call the daemon back', async ({ skip }) => {
    if (skipReason) skip(skipReason);
    const root = tempDir();
    const ask = `${process.execPath} -e "fetch(process.env.HYPERCTL_SERVER_PORTAL + '/hyperctl/api/job/' + process.env.HYPERCTL_JOB_NAME).then((r) => r.json()).then((b) => console.error(JSON.stringify(b.data.params)))"`;
    const jobs: JobConfig[] = Array.from({ length: 12 }, (_, i) => ({
      name: `j${i}`,
      params: { i },
      execution: { command: `s=$(date +%s%N); sleep 0.3; ${ask}; echo "$(hostname) $s $(date +%s%N)"` },
    }));
    const result = await runBatch(
      {
        name: 'spread',
        jobs,
        backend: { type: 'remote', conf: { machines: machines(2), known_hosts_file: knownHosts } },
        daemon: { host: network.gateway, port: 0, exit_on_finish: true },
      },
      { batchesDataDir: root, daemon: true },
    );
    expect(result.status).toBe('succeed');
    const lines = result.jobs.map((j) => readFileSync(j.stdoutPath, 'utf8').trim());
    const peak = peakPerHost(lines);
    expect([...peak.keys()].sort()).toEqual(['box0', 'box1', 'box2']);
    for (const [host, most] of peak) expect(most, host).toBeLessThanOrEqual(2);
    expect(Math.max(...peak.values())).toBe(2);
    for (const job of result.jobs) expect(readFileSync(job.stderrPath, 'utf8')).toBe(`${JSON.stringify(job.params)}\n`);
    expect(new Set(result.jobs.map((j) => j.host))).toEqual(new Set(network.hosts.map((h) => h.address)));
  });

  it("places jobs by each machine's capacity, detected over SSH or set per machine, and hands out its GPUs", async ({ skip }) => {
    if (skipReason) skip(skipReason);
    const root = tempDir();
    const cpus = availableParallelism();
    // The test machines share this kernel: each detects this machine's CPUs; GPUs are set per machine,
    // with indices of their own (GPU leases are this machine's: box1's GPU 0 would be box0's).
    const withGpus = machines(1).map(({ slots: _, ...m }, i) => ({ ...m, ...(i < 2 ? { capacity: { gpu: i === 0 ? 2 : [2] } } : {}) }));
    const jobs: JobConfig[] = Array.from({ length: 6 }, (_, i) => ({
      name: `g${i}`,
      params: { i },
      resource: { gpu: 1, cpu: 1 },
      execution: { command: 's=$(date +%s%N); sleep 0.3; echo "$(hostname) $s $(date +%s%N) $CUDA_VISIBLE_DEVICES"' },
    }));
    const result = await runBatch(
      { name: 'gpus', jobs, backend: { type: 'remote', conf: { machines: withGpus, known_hosts_file: knownHosts } } },
      { batchesDataDir: root },
    );
    expect(result.status).toBe('succeed');
    const lines = result.jobs.map((j) => readFileSync(j.stdoutPath, 'utf8').trim());
    const peak = peakPerHost(lines);
    expect(peak.get('box0')).toBeLessThanOrEqual(Math.min(2, cpus));
    expect(peak.get('box1')).toBe(1);
    expect(peak.has('box2')).toBe(false);
    for (const line of lines) expect(line.split(' ')[3], line).toMatch(line.startsWith('box0') ? /^[01]$/ : /^2$/);

    const tooMany = await runBatch(
      {
        name: 'cpus',
        jobs: [{ name: 'wide', params: {}, resource: { cpu: cpus + 1 }, execution: { command: 'true' } }],
        backend: { type: 'remote', conf: { machines: machines(1), known_hosts_file: knownHosts } },
      },
      { batchesDataDir: root },
    ).catch((e: unknown) => e);
    expect((tooMany as Error).message).toContain(
      `job "wide" needs cpu ${cpus + 1}, ram 0 MB, gpu 0, more than any machine has (the largest, ${network.hosts[0]!.address}, has cpu ${cpus},`,
    );
  });

  it('sends the code to each of three machines once and brings every job output back from the machine it ran on', async ({ skip }) => {
    if (skipReason) skip(skipReason);
    const root = tempDir();
    const project = tempDir();
    writeFileSync(join(project, 'work.sh'), 'mkdir -p out && echo "$1 on $(hostname)" > out/result.txt\n');
    // The three machines share this machine's disk: each keeps its data in a folder of its own.
    const tag = `pool-upload-${process.pid}`;
    const own = machines(2).map((m, i) => ({ ...m, data_dir: `~/${tag}-${i}` }));
    const jobs: JobConfig[] = Array.from({ length: 9 }, (_, i) => ({
      name: `j${i}`,
      params: { i },
      execution: { command: `sh work.sh ${i}`, outputs: ['out/result.txt'] },
    }));
    const events: BatchEvent[] = [];
    try {
      const result = await runBatch(
        { name: 'shipped', jobs, backend: { type: 'remote', conf: { machines: own, known_hosts_file: knownHosts, upload: { dir: project } } } },
        { batchesDataDir: root, onEvent: (e) => events.push(e) },
      );
      expect(result.status).toBe('succeed');
      expect(events.filter((e) => e.type === 'host:down')).toEqual([]);
      expect(events.filter((e) => e.type === 'host:upload').map((e) => (e as { sent: boolean }).sent)).toEqual([true, true, true]);
      for (const job of result.jobs) {
        const box = `box${network.hosts.findIndex((h) => h.address === job.host)}`;
        expect(readFileSync(join(root, 'shipped', job.name, 'out', 'result.txt'), 'utf8')).toBe(`${job.name.slice(1)} on ${box}\n`);
      }
      expect(new Set(result.jobs.map((j) => j.host)).size).toBe(3);
      expect(result.transfers?.map((t) => t.outputs?.files).reduce((a, b) => (a ?? 0) + (b ?? 0), 0)).toBe(9);
    } finally {
      for (let i = 0; i < 3; i++) rmSync(`/home/${testUser.name}/${tag}-${i}`, { recursive: true, force: true });
    }
  });

  it('with no daemon.host, the daemon listens on loopback only; jobs call it (the original client, posted metrics) at a port on their own loopback', async ({
    skip,
  }) => {
    if (skipReason) skip(skipReason);
    const root = tempDir();
    const gate = join(openDir(), 'go');
    const warnings: string[] = [];
    let started = 0;
    const jobs = [0, 1, 2].map((i) => ({ name: `j${i}`, params: { i }, execution: { command: `${originalClient}; ${postMetric}; ${untilExists(gate)}` } }));
    const run = runBatch(
      { name: 'forwarded', jobs, backend: { type: 'remote', conf: { machines: machines(1), known_hosts_file: knownHosts } } },
      {
        batchesDataDir: root,
        daemon: true,
        port: 0,
        exitOnFinish: true,
        onEvent: (e) => {
          if (e.type === 'warning') warnings.push(e.message);
          if (e.type === 'job:start') started++;
        },
      },
    );
    try {
      await waitFor(() => started === 3, 'a job on every machine');
      // What this process listens on while the jobs run: the daemon, on loopback, and nothing else.
      const listening = execFileSync('ss', ['-ltnpH'], { encoding: 'utf8' })
        .split('\n')
        .filter((line) => line.includes(`pid=${process.pid},`))
        .map((line) => line.trim().split(/\s+/)[3]!);
      expect(listening.length, execFileSync('ss', ['-ltnp'], { encoding: 'utf8' })).toBeGreaterThan(0);
      for (const address of listening) expect(address).toMatch(/^(127\.\d+\.\d+\.\d+|\[::1\]):\d+$/);
    } finally {
      writeFileSync(gate, '');
    }
    const result = await run;
    expect(result.status, JSON.stringify(result.jobs.map((j) => readFileSync(j.stderrPath, 'utf8')))).toBe('succeed');
    expect(warnings).toEqual([]);
    for (const job of result.jobs) {
      expect(readFileSync(job.stdoutPath, 'utf8')).toMatch(new RegExp(`^127\\.0\\.0\\.1:\\d+ ${JSON.stringify(job.params)}\n$`));
      expect(job.metrics).toEqual({ reached: 1 });
    }
  });

  it('a machine whose sshd refuses forwarding is named once: its jobs get no portal, yet their params and output metrics; with daemon.host they call it there', async ({
    skip,
  }) => {
    if (skipReason) skip(skipReason);
    const { address, namespace } = network.hosts[2]!;
    const refusing = await startSshd(join(shared, 'refusing'), {
      address,
      port: 2222,
      authorizedKeys: [publicKey],
      netns: namespace,
      hostname: 'box2',
      refuseForwarding: true,
    });
    try {
      const known = join(clientHome(join(shared, 'home-refusing'), [refusing]), '.ssh', 'known_hosts');
      const machine = { hostname: address, port: 2222, username: testUser.name, ssh_rsa_file: key, slots: 1 };
      const runWith = async (command: string, daemon: object) => {
        const warnings: string[] = [];
        const result = await runBatch(
          {
            name: 'refused',
            jobs: [0, 1].map((i) => ({ name: `j${i}`, params: { i }, execution: { command } })),
            backend: { type: 'remote', conf: { machines: [machine], known_hosts_file: known } },
            daemon: { ...daemon, port: 0, exit_on_finish: true },
          },
          { batchesDataDir: tempDir(), daemon: true, force: true, onEvent: (e) => e.type === 'warning' && warnings.push(e.message) },
        );
        expect(result.status, JSON.stringify(result.jobs.map((j) => readFileSync(j.stderrPath, 'utf8')))).toBe('succeed');
        return { result, warnings };
      };
      const bare = await runWith(`echo "\${HYPERCTL_SERVER_PORTAL:-no portal} $HYPERCTL_JOB_PARAMS"; echo 'hyperctl:metrics {"seen": 1}'`, {});
      expect(bare.warnings).toEqual([
        expect.stringMatching(
          new RegExp(`^${address.replaceAll('.', '\\.')}: its sshd refuses to forward a port to the daemon .*AllowTcpForwarding.*cannot call the daemon`),
        ),
      ]);
      for (const job of bare.result.jobs) {
        expect(readFileSync(job.stdoutPath, 'utf8')).toMatch(new RegExp(`^no portal ${JSON.stringify(job.params)}\n`));
        expect(job.metrics).toEqual({ seen: 1 });
      }
      const direct = await runWith(originalClient, { host: network.gateway });
      expect(direct.warnings).toEqual([
        expect.stringContaining(`daemon.host is ${network.gateway}: the machines' jobs reach the daemon through their SSH connections`),
        expect.stringContaining(`${address}: its sshd refuses to forward a port to the daemon`),
      ]);
      expect(direct.warnings[1]).toContain(`its jobs reach the daemon at daemon.host (${network.gateway}) instead`);
      for (const job of direct.result.jobs)
        expect(readFileSync(job.stdoutPath, 'utf8')).toMatch(new RegExp(`^${network.gateway}:\\d+ ${JSON.stringify(job.params)}\n$`));
    } finally {
      await refusing.stop();
    }
  });

  it('a connection dropped mid-run is opened again with its forward, on the same port: jobs after it call the daemon as before', async ({ skip }) => {
    if (skipReason) skip(skipReason);
    const events: BatchEvent[] = [];
    let ended = 0;
    const machine = machines(1)[0]!;
    const jobs = [0, 1, 2, 3, 4].map((i) => ({ name: `j${i}`, params: { i }, execution: { command: `${originalClient}; sleep 0.3` } }));
    const run = runBatch(
      { name: 'dropped', jobs, backend: { type: 'remote', conf: { machines: [machine], known_hosts_file: knownHosts } } },
      {
        batchesDataDir: tempDir(),
        daemon: true,
        port: 0,
        exitOnFinish: true,
        onEvent: (e) => {
          events.push(e);
          if (e.type === 'job:exit') ended++;
        },
      },
    );
    await waitFor(() => ended >= 2, 'two jobs ended');
    hosts[0]!.dropSessions();
    const result = await run;
    expect(result.status, JSON.stringify(result.jobs.map((j) => readFileSync(j.stderrPath, 'utf8')))).toBe('succeed');
    expect(events).toContainEqual({ type: 'host:down', host: machine.hostname, reason: 'its connection was lost (reconnecting)' });
    expect(events).toContainEqual({ type: 'host:up', host: machine.hostname });
    const reached = result.jobs.map((job) => readFileSync(job.stdoutPath, 'utf8'));
    for (const [i, line] of reached.entries()) expect(line).toMatch(new RegExp(`^127\\.0\\.0\\.1:\\d+ ${JSON.stringify({ i })}\n$`));
    expect(new Set(reached.map((line) => line.split(' ')[0])).size).toBe(1);
  });

  // It stops a machine for good: it comes last.
  it('finishes the batch on the other machines when one goes away mid-batch; its jobs run again elsewhere', async ({ skip }) => {
    if (skipReason) skip(skipReason);
    const root = tempDir();
    const events: BatchEvent[] = [];
    const jobs: JobConfig[] = Array.from({ length: 9 }, (_, i) => ({ name: `j${i}`, params: { i }, execution: { command: 'sleep 0.4; hostname' } }));
    let started = 0;
    const run = runBatch(
      { name: 'lose-one', jobs, backend: { type: 'remote', conf: { machines: machines(1), known_hosts_file: knownHosts } } },
      {
        batchesDataDir: root,
        onEvent: (e) => {
          events.push(e);
          if (e.type === 'job:start') started++;
        },
      },
    );
    // Wait until the first round runs on all three machines, then take the second away.
    await waitFor(() => started >= 3, 'a job on every machine');
    await hosts[1]!.stop();
    const result = await run;
    expect(result.status, JSON.stringify(result.jobs.filter((j) => j.status !== 'succeed'))).toBe('succeed');
    expect(result.counts.succeed).toBe(9);
    const ranOn = result.jobs.map((j) => readFileSync(j.stdoutPath, 'utf8').trim());
    expect(ranOn.filter((h) => h === 'box1').length).toBe(0);
    const retried = events.filter((e) => e.type === 'job:retry');
    expect(retried.length).toBeGreaterThanOrEqual(1);
    expect(retried[0]).toMatchObject({ host: network.hosts[1]!.address, reason: expect.stringContaining('lost the connection') });
    expect(events).toContainEqual({ type: 'host:down', host: network.hosts[1]!.address, reason: 'its connection was lost (reconnecting)' });
    expect(events.filter((e) => e.type === 'host:up')).toEqual([]);
  });
});
