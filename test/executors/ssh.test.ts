import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHyperctlError, runBatch, type BatchConfig, type BatchEvent, type JobConfig, type RemoteMachineConfig } from '../../src/index.js';
import { runCli, quickRun, startCli } from '../helpers/cli.js';
import { jobStatuses } from '../helpers/daemon-batch.js';
import { exampleCopy } from '../helpers/examples.js';
import { metricJobs, reportedMetrics, stageForTestUser } from '../helpers/metric-jobs.js';
import { isRunning, readPids, waitFor } from '../helpers/processes.js';
import { clientHome, freePort, makeClientKey, sshUnavailable, startSshd, testUser, type TestHost } from '../helpers/sshd.js';
import { tempDir } from '../helpers/tmp.js';

let skipReason: string | undefined;
let host: TestHost;
let keys: { plain: { key: string; publicKey: string }; encrypted: { key: string; publicKey: string } };
let knownHosts: string;
let shared: string;

beforeAll(async () => {
  skipReason = sshUnavailable();
  if (skipReason) return;
  shared = mkdtempSync(join(tmpdir(), 'hyperctl-ssh-'));
  chmodSync(shared, 0o755);
  keys = { plain: makeClientKey(shared), encrypted: makeClientKey(shared, 'open sesame') };
  host = await startSshd(join(shared, 'sshd'), {
    address: '127.0.0.1',
    port: await freePort(),
    authorizedKeys: [keys.plain.publicKey, keys.encrypted.publicKey],
  });
  knownHosts = join(clientHome(join(shared, 'home'), [host]), '.ssh', 'known_hosts');
});

afterAll(async () => {
  await host?.stop();
  if (shared) rmSync(shared, { recursive: true, force: true });
});

function machine(extra: Partial<RemoteMachineConfig> = {}): RemoteMachineConfig {
  return { hostname: host.address, port: host.port, username: testUser.name, ssh_rsa_file: keys.plain.key, ...extra };
}

function remoteBatch(name: string, jobs: JobConfig[], machines: RemoteMachineConfig[] = [machine()], conf: Record<string, unknown> = {}): BatchConfig {
  return { name, jobs, backend: { type: 'remote', conf: { machines, known_hosts_file: knownHosts, ...conf } } };
}

/** A folder the test user may write into, for files a remote job leaves. */
function openDir(): string {
  const dir = tempDir();
  chmodSync(dir, 0o777);
  return dir;
}

describe('the remote backend on a real sshd', () => {
  it('runs a job over SSH with key auth: params, environment and output come through', async ({ skip }) => {
    if (skipReason) skip(skipReason);
    const root = tempDir();
    const result = await runBatch(
      remoteBatch(
        'keys',
        [
          {
            name: 'who',
            params: { lr: 0.1, note: "it's $HOME" },
            execution: {
              command:
                'whoami; echo "$HYPERCTL_JOB_NAME $HYPERCTL_BATCH_NAME $EXTRA"; cat "$HYPERCTL_JOB_PARAMS_FILE"; echo; echo "$HYPERCTL_JOB_PARAMS"; pwd; echo oops >&2; exit 3',
            },
          },
        ],
        [machine({ environments: { EXTRA: 'x y' } })],
      ),
      { batchesDataDir: root },
    );
    const job = result.jobs[0]!;
    expect(job).toMatchObject({ status: 'failed', exitCode: 3, host: '127.0.0.1' });
    const out = readFileSync(join(root, 'keys', 'who', 'stdout'), 'utf8').split('\n');
    expect(out.slice(0, 4)).toEqual([testUser.name, 'who keys x y', `{"lr":0.1,"note":"it's $HOME"}`, `{"lr":0.1,"note":"it's $HOME"}`]);
    expect(out[4]).toBe(`/home/${testUser.name}/hyperctl-batches-data-dir/keys/who`);
    expect(readFileSync(join(root, 'keys', 'who', 'stderr'), 'utf8')).toBe('oops\n');
    expect(JSON.parse(readFileSync(join(root, 'keys', 'who', 'params.json'), 'utf8'))).toEqual({ lr: 0.1, note: "it's $HOME" });
  });

  it('ends what a job left in its process group on the machine when it ends, and says so in its stderr', async ({ skip }) => {
    if (skipReason) skip(skipReason);
    const root = tempDir();
    const dir = openDir();
    const command = `sleep 300 & echo $! > ${dir}/left; sleep 300 & echo $! >> ${dir}/left; echo done`;
    const result = await runBatch(remoteBatch('leftovers', [{ name: 'j', params: {}, execution: { command } }]), { batchesDataDir: root, killGraceMs: 1000 });
    expect(result.status).toBe('succeed');
    for (const pid of readFileSync(join(dir, 'left'), 'utf8').trim().split('\n').map(Number)) expect(isRunning(pid)).toBe(false);
    expect(readFileSync(join(root, 'leftovers', 'j', 'stderr'), 'utf8')).toBe('hyperctl: the job ended; 2 processes it left in its process group were ended\n');
  });

  it('puts params into the command on the machine, shell-quoted, with its name, batch and data folder', async ({ skip }) => {
    if (skipReason) skip(skipReason);
    const root = tempDir();
    const params = { lr: 0.1, note: "it's $(whoami); `id`" };
    const command = "printf '%s|' {lr} {note} {job} {batch} {data_dir} {args}";
    const result = await runBatch(remoteBatch('placed', [{ name: 'p', params, execution: { command } }]), { batchesDataDir: root });
    expect(result.status).toBe('succeed');
    const dataDir = `/home/${testUser.name}/hyperctl-batches-data-dir/placed/p`;
    expect(readFileSync(join(root, 'placed', 'p', 'stdout'), 'utf8')).toBe(`0.1|${params.note}|p|placed|${dataDir}|--lr=0.1|--note=${params.note}|`);
  });

  it('runs a search on the machine: trials proposed as slots free up, ranked by the metric they report', async ({ skip }) => {
    if (skipReason) skip(skipReason);
    const root = tempDir();
    const { backend } = remoteBatch('unused', []);
    const result = await runBatch(
      {
        name: 'ssh-search',
        params: { x: { int: [0, 5] }, tag: ['a'] },
        execution: { command: `echo "hyperctl:metrics {\\"loss\\": {x}}"; hostname` },
        search: { algorithm: 'tpe', metric: 'loss', max_trials: 4, startup_trials: 2, seed: 9 },
        backend,
      },
      { batchesDataDir: root },
    );
    expect(result.status).toBe('succeed');
    expect(result.jobs.map((j) => [j.name, j.host])).toEqual([1, 2, 3, 4].map((n) => [`trial-000${n},tag=a`, '127.0.0.1']));
    expect(result.search).toMatchObject({ algorithm: 'tpe', trials: 4, stoppedBecause: 'max_trials reached (4)' });
    expect(result.search!.best!.value).toBe(Math.min(...result.jobs.map((j) => j.params.x as number)));
  });

  it('runs a search of several objectives on the machine: its front from what the trials printed there', async ({ skip }) => {
    if (skipReason) skip(skipReason);
    const root = tempDir();
    const { backend } = remoteBatch('unused', []);
    // Cost rises as loss falls: every trial (each of another x) is on the front.
    const result = await runBatch(
      {
        name: 'ssh-pareto',
        params: { x: { int: [0, 4] } },
        execution: { command: `echo "hyperctl:metrics {\\"loss\\": {x}, \\"cost\\": $((10 - {x}))}"` },
        search: {
          algorithm: 'tpe',
          metrics: [
            { name: 'loss', goal: 'min' },
            { name: 'cost', goal: 'min' },
          ],
          max_trials: 4,
          startup_trials: 2,
          seed: 9,
        },
        backend,
      },
      { batchesDataDir: root },
    );
    expect(result.status).toBe('succeed');
    expect(result.jobs.every((j) => j.host === '127.0.0.1')).toBe(true);
    expect(result.search!.front!.map((t) => t.values)).toEqual(result.jobs.map((j) => ({ loss: j.params.x, cost: 10 - (j.params.x as number) })));
  });

  it('stops a losing job on the machine early by either rule, from the metrics it prints, and records it pruned', async ({ skip }) => {
    if (skipReason) skip(skipReason);
    const root = tempDir();
    const { backend } = remoteBatch('unused', []);
    const curve = `i=1; while [ $i -le 20 ]; do echo "hyperctl:metrics {\\"loss\\": $(( {floor} + 10 / i ))}"; sleep 0.2; i=$((i + 1)); done`;
    const result = await runBatch(
      {
        name: 'ssh-pruning',
        jobs: [1, 9].map((floor) => ({ name: `floor-${floor}`, params: { floor }, execution: { command: curve } })),
        early_stopping: { rule: 'asha', metric: 'loss', min_steps: 2, reduction_factor: 2 },
        backend,
      },
      { batchesDataDir: root, parallelism: 1 },
    );
    expect(result.status).toBe('succeed');
    expect(result.jobs.map((j) => [j.name, j.status, j.reason])).toEqual([
      ['floor-1', 'succeed', undefined],
      ['floor-9', 'pruned', 'pruned by asha at step 2: loss 14 > rung cutoff 6 (rung 2: the best 1/2 of the 1 trials that reached it before)'],
    ]);
    // The median rule too: the second job is worse than the first's best at step 2.
    const median = await runBatch(
      {
        name: 'ssh-pruning-median',
        jobs: [1, 9].map((floor) => ({ name: `floor-${floor}`, params: { floor }, execution: { command: curve } })),
        early_stopping: { rule: 'median', metric: 'loss', min_steps: 2, min_trials: 1 },
        backend,
      },
      { batchesDataDir: root, parallelism: 1 },
    );
    expect(median.jobs.map((j) => [j.status, j.reason])).toEqual([
      ['succeed', undefined],
      ['pruned', 'pruned by the median rule at step 2: best loss 14 > median 6 of 1 other trials'],
    ]);
    // Killed on the machine, it did not print its whole curve.
    expect(readFileSync(result.jobs[1]!.stdoutPath, 'utf8').trim().split('\n').length).toBeLessThan(20);
  });

  it('logs in with a password, and with an encrypted key and its passphrase, and never stores either', async ({ skip }) => {
    if (skipReason) skip(skipReason);
    const root = tempDir();
    const machines = [
      machine({ ssh_rsa_file: undefined, password: testUser.password, slots: 1 }),
      { ...machine({ ssh_rsa_file: keys.encrypted.key, passphrase: 'open sesame' }), hostname: 'localhost' },
    ];
    const known = join(tempDir(), 'known_hosts');
    writeFileSync(known, `[127.0.0.1]:${host.port} ${host.hostKey}\n[localhost]:${host.port} ${host.hostKey}\n`);
    const jobs = [0, 1, 2, 3].map((i) => ({ name: `j${i}`, params: { i }, execution: { command: 'sleep 0.2; whoami' } }));
    const result = await runBatch(remoteBatch('secrets', jobs, machines, { known_hosts_file: known }), { batchesDataDir: root });
    expect(result.status).toBe('succeed');
    expect(new Set(result.jobs.map((j) => j.host))).toEqual(new Set(['127.0.0.1', 'localhost']));
    const spec = readFileSync(join(root, 'secrets', 'spec.json'), 'utf8');
    expect(spec).not.toContain(testUser.password);
    expect(spec).not.toContain('open sesame');
  });

  it('refuses a wrong password with a clear error that does not show it', async ({ skip }) => {
    if (skipReason) skip(skipReason);
    const root = tempDir();
    const error = await runBatch(
      remoteBatch('badpw', [{ params: {}, execution: { command: 'true' } }], [machine({ ssh_rsa_file: undefined, password: 'not-it-123' })]),
      { batchesDataDir: root },
    ).catch((e: unknown) => e);
    expect(isHyperctlError(error) && error.code).toBe('E_NO_MACHINE');
    expect((error as Error).message).toContain(`authentication failed for user ${testUser.name} (tried password)`);
    expect((error as Error).message).not.toContain('not-it-123');
    expect(existsSync(join(root, 'badpw'))).toBe(false);
  });

  it('refuses an unknown host key, and a changed one, naming the fingerprint and what to do', async ({ skip }) => {
    if (skipReason) skip(skipReason);
    const empty = join(tempDir(), 'known_hosts');
    const unknown = await runBatch(remoteBatch('unknown', [{ params: {}, execution: { command: 'true' } }], [machine()], { known_hosts_file: empty }), {
      batchesDataDir: tempDir(),
    }).catch((e: unknown) => e);
    expect((unknown as Error).message).toMatch(/unknown host key ssh-ed25519 SHA256:\S+: it is not in .*known_hosts/);
    expect((unknown as Error).message).toContain('host_key_checking: "accept-new"');

    const other = makeClientKey(tempDir()).publicKey.split(' ').slice(0, 2).join(' ');
    const changed = join(tempDir(), 'known_hosts');
    writeFileSync(changed, `[127.0.0.1]:${host.port} ${other}\n`);
    const error = await runBatch(remoteBatch('changed', [{ params: {}, execution: { command: 'true' } }], [machine()], { known_hosts_file: changed }), {
      batchesDataDir: tempDir(),
    }).catch((e: unknown) => e);
    expect(isHyperctlError(error) && error.code).toBe('E_NO_MACHINE');
    expect((error as Error).message).toContain('its host key has CHANGED');
  });

  it('with accept-new records the key of a new host, then trusts it; hashed entries match too', async ({ skip }) => {
    if (skipReason) skip(skipReason);
    const file = join(tempDir(), 'known_hosts');
    const first = await runBatch(
      remoteBatch('tofu', [{ params: {}, execution: { command: 'true' } }], [machine()], { known_hosts_file: file, host_key_checking: 'accept-new' }),
      { batchesDataDir: tempDir() },
    );
    expect(first.status).toBe('succeed');
    expect(readFileSync(file, 'utf8')).toBe(`[127.0.0.1]:${host.port} ${host.hostKey}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    expect(readFileSync(file, 'utf8')).toMatch(/^\|1\|/);
    const again = await runBatch(remoteBatch('tofu', [{ params: {}, execution: { command: 'true' } }], [machine()], { known_hosts_file: file }), {
      batchesDataDir: tempDir(),
    });
    expect(again.status).toBe('succeed');
  });

  it('streams output back live, while the job runs', async ({ skip }) => {
    if (skipReason) skip(skipReason);
    const root = tempDir();
    const gate = join(openDir(), 'gate');
    const chunks: string[] = [];
    const run = runBatch(
      remoteBatch('live', [{ name: 'talk', params: {}, execution: { command: `echo first; while [ ! -e ${gate} ]; do sleep 0.05; done; echo second` } }]),
      {
        batchesDataDir: root,
        captureOutput: true,
        onEvent: (e: BatchEvent) => e.type === 'job:output' && chunks.push(e.chunk.toString()),
      },
    );
    const file = join(root, 'live', 'talk', 'stdout');
    await waitFor(() => existsSync(file) && readFileSync(file, 'utf8') === 'first\n', 'the first line in the local file');
    expect(chunks.join('')).toBe('first\n');
    writeFileSync(gate, '');
    expect((await run).status).toBe('succeed');
    expect(readFileSync(file, 'utf8')).toBe('first\nsecond\n');
  });

  // A scenario of a dozen CLI calls: on a loaded 2-core machine that is a minute, not 30 s.
  it("is steered through the CLI: a machine's slots raised, a pause that holds jobs back until resume, the whole batch's parallelism lowered", {
    timeout: 90_000,
  }, async ({ skip }) => {
    if (skipReason) return skip(skipReason);
    const root = tempDir();
    const gates = openDir();
    const gated = (job: string): JobConfig => ({
      name: job,
      params: {},
      execution: { command: `while [ ! -e ${gates}/${job} ]; do [ -d ${gates} ] || exit 9; sleep 0.05; done` },
    });
    const config = join(root, 'b.json');
    writeFileSync(config, JSON.stringify({ ...remoteBatch('steer', ['a', 'b', 'c', 'd', 'e'].map(gated), [machine({ slots: 1 })]), daemon: { port: 0 } }));
    const data = ['--batches-data-dir', root];
    const run = startCli(['run', '-c', config, ...quickRun, ...data]);
    const statuses = async () => jobStatuses(root, 'steer');
    const running = async () => Object.entries(await statuses()).flatMap(([name, status]) => (status === 'running' ? [name] : []));
    await waitFor(async () => (await running()).length === 1, 'a running');
    const wrong = await runCli(['batch', 'update', 'steer', '-p', '3', '--machine', 'elsewhere', ...data]);
    expect([wrong.code, wrong.stderr]).toEqual([2, `hyperctl: machine "elsewhere": not a machine of batch steer (its machines: ${host.address})\n`]);
    expect((await runCli(['batch', 'update', 'steer', '-p', '3', '--machine', host.address, ...data])).code).toBe(0);
    await waitFor(async () => (await running()).length === 3, 'three running on the machine');
    expect((await runCli(['batch', 'pause', 'steer', ...data])).code).toBe(0);
    for (const job of ['a', 'b', 'c']) writeFileSync(join(gates, job), '');
    await waitFor(async () => Object.values(await statuses()).filter((status) => status === 'succeed').length === 3, 'a, b and c ended');
    expect(await statuses()).toMatchObject({ d: 'init', e: 'init' });
    expect((await runCli(['batch', 'update', 'steer', '-p', '1', ...data])).code).toBe(0);
    expect((await runCli(['batch', 'resume', 'steer', ...data])).code).toBe(0);
    await waitFor(async () => (await statuses()).d === 'running', 'd running');
    expect(await statuses()).toMatchObject({ d: 'running', e: 'init' });
    writeFileSync(join(gates, 'd'), '');
    await waitFor(async () => (await statuses()).e === 'running', 'e running');
    writeFileSync(join(gates, 'e'), '');
    expect((await run.done).code).toBe(0);
    expect(Object.values(await statuses())).toEqual(['succeed', 'succeed', 'succeed', 'succeed', 'succeed']);
  });

  it('a kill ends the whole remote process group and leaves no process behind', async ({ skip }) => {
    if (skipReason) skip(skipReason);
    const root = tempDir();
    const pids = join(openDir(), 'pids');
    const controller = new AbortController();
    const tree = `sh -c 'sleep 1000 & echo $! >> ${pids}; echo $$ >> ${pids}; wait' & echo $$ >> ${pids}; wait`;
    const run = runBatch(remoteBatch('kill', [{ name: 'tree', params: {}, execution: { command: tree } }]), {
      batchesDataDir: root,
      signal: controller.signal,
      killGraceMs: 1000,
    });
    await waitFor(() => readPids(pids).length === 3, 'the remote job tree');
    controller.abort();
    const error = await run.catch((e: unknown) => e);
    expect(isHyperctlError(error) && error.code).toBe('E_ABORTED');
    for (const pid of readPids(pids)) expect(isRunning(pid), `remote pid ${pid}`).toBe(false);
    // What ps shows on that host: no sleep of the job is left.
    const ps = spawnSync('ps', ['-u', testUser.name, '-o', 'pid=,args='], { encoding: 'utf8' }).stdout;
    expect(ps).not.toContain('sleep 1000');
  });

  it('reconnects after the connection drops mid-job, and runs the job that was cut off again', async ({ skip }) => {
    if (skipReason) skip(skipReason);
    const root = tempDir();
    const events: BatchEvent[] = [];
    const jobs = [0, 1].map((i) => ({ name: `j${i}`, params: { i }, execution: { command: 'sleep 0.5; echo done' } }));
    const run = runBatch(remoteBatch('blip', jobs), { batchesDataDir: root, onEvent: (e) => events.push(e) });
    await waitFor(() => events.some((e) => e.type === 'job:start'), 'the first job');
    await new Promise((resolve) => setTimeout(resolve, 100));
    host.dropSessions();
    const result = await run;
    expect(result.jobs.map((j) => [j.name, j.status])).toEqual([
      ['j0', 'succeed'],
      ['j1', 'succeed'],
    ]);
    expect(events.find((e) => e.type === 'job:retry')).toMatchObject({ job: 'j0', reason: expect.stringContaining('lost the connection') });
    expect(readFileSync(join(root, 'blip', 'j0', 'stdout'), 'utf8')).toBe('done\n');
    // The machine was said to be down while it reconnected, then back.
    const health = events.filter((e) => e.type === 'host:down' || e.type === 'host:up');
    expect(health).toEqual([
      { type: 'host:down', host: host.address, reason: 'its connection was lost (reconnecting)' },
      { type: 'host:up', host: host.address },
    ]);
  });

  it('a re-run after kill -9 of the runner ends what the dead run left on the machine', async ({ skip }) => {
    if (skipReason) skip(skipReason);
    const dir = tempDir();
    const shared = openDir();
    const pids = join(shared, 'pids');
    const again = join(shared, 'again');
    const command = `if [ -e ${again} ]; then echo second run; else echo $$ >> ${pids}; exec sleep 60; fi`;
    writeFileSync(join(dir, 'b.json'), JSON.stringify(remoteBatch('orphan', [{ name: 'long', params: {}, execution: { command } }])));
    const first = startCli(['run', ...quickRun, '-c', join(dir, 'b.json'), '--batches-data-dir', dir]);
    await waitFor(() => readPids(pids).length === 1, 'the remote job');
    first.child.kill('SIGKILL');
    await first.done;
    const [orphan] = readPids(pids);
    expect(isRunning(orphan!)).toBe(true);
    writeFileSync(again, '');
    const rerun = await runCli(['run', ...quickRun, '-c', join(dir, 'b.json'), '--batches-data-dir', dir, '--kill-grace', '1']);
    expect(rerun.code, rerun.stderr).toBe(0);
    await waitFor(() => !isRunning(orphan!), 'the orphan to end');
    expect(readFileSync(join(dir, 'orphan', 'long', 'stdout'), 'utf8')).toBe('second run\n');
  });

  it("runs the seed's remote example through the CLI, with an ~/.ssh/config alias and ssh-agent", async ({ skip }) => {
    if (skipReason) skip(skipReason);
    const dir = tempDir();
    const home = clientHome(join(dir, 'home'), [host], {
      config: `Host box\n  HostName 127.0.0.1\n  Port ${host.port}\n  User ${testUser.name}\n  IdentityFile ~/.ssh/id_box\n`,
      keys: { id_box: keys.plain.key },
    });
    chmodSync(join(home, '.ssh', 'id_box'), 0o600);
    const seed = {
      jobs: [{ name: 'aVqNV5Ut1', params: { learning_rate: 0.1, dataset: 'path/d1.csv' }, execution: { command: 'echo "$HYPERCTL_JOB_PARAMS"' } }],
      backend: { type: 'remote', conf: { machines: [{ hostname: 'box', username: testUser.name }] } },
      name: 'eVqNV5Ut1',
      daemon: { port: 0 },
      version: '2.5',
    };
    writeFileSync(join(dir, 'batch.json'), JSON.stringify(seed));
    const alias = await runCli(['run', ...quickRun, '-c', join(dir, 'batch.json'), '--batches-data-dir', join(dir, 'data')], {
      env: { HOME: home, SSH_AUTH_SOCK: '' },
    });
    expect(alias.code, alias.stderr).toBe(0);
    expect(readFileSync(join(dir, 'data', 'eVqNV5Ut1', 'aVqNV5Ut1', 'stdout'), 'utf8')).toBe('{"learning_rate":0.1,"dataset":"path/d1.csv"}\n');
    expect((await runCli(['job', 'describe', '-b', 'eVqNV5Ut1', '-j', 'aVqNV5Ut1', '--batches-data-dir', join(dir, 'data')])).stdout).toContain(
      '"host": "box"',
    );

    // ssh-agent alone: no key file, no password.
    const agentHome = clientHome(join(dir, 'agent-home'), [host]);
    const socket = join(dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    try {
      await waitFor(() => existsSync(socket), 'ssh-agent');
      execFileSync('ssh-add', [keys.plain.key], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
      writeFileSync(
        join(dir, 'agent.json'),
        JSON.stringify({
          ...seed,
          name: 'agent',
          backend: { type: 'remote', conf: { machines: [{ hostname: '127.0.0.1', port: host.port, username: testUser.name }] } },
        }),
      );
      const viaAgent = await runCli(['run', ...quickRun, '-c', join(dir, 'agent.json'), '--batches-data-dir', join(dir, 'data')], {
        env: { HOME: agentHome, SSH_AUTH_SOCK: socket },
      });
      expect(viaAgent.code, viaAgent.stderr).toBe(0);
    } finally {
      agent.kill();
    }
  });

  it("uses one connection for all of a machine's jobs, and a second only past the server's MaxSessions", async ({ skip }) => {
    if (skipReason) skip(skipReason);
    const limited = await startSshd(join(shared, 'sshd-limited'), {
      address: '127.0.0.1',
      port: await freePort(),
      authorizedKeys: [keys.plain.publicKey],
      maxSessions: 2,
    });
    try {
      const known = join(tempDir(), 'known_hosts');
      writeFileSync(known, `[127.0.0.1]:${host.port} ${host.hostKey}\n[127.0.0.1]:${limited.port} ${limited.hostKey}\n`);
      const cmdline = (pid: number) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        } catch {
          return '';
        }
      };
      // sshd runs one privileged monitor per connection.
      const connections = (h: TestHost) => h.processes().filter((pid) => cmdline(pid).includes('[priv]')).length;
      for (const [target, expected] of [
        [host, 1],
        [limited, 2],
      ] as const) {
        const gate = join(openDir(), 'gate');
        const jobs = [0, 1, 2, 3].map((i) => ({ name: `j${i}`, params: { i }, execution: { command: `while [ ! -e ${gate} ]; do sleep 0.02; done` } }));
        let running = 0;
        const run = runBatch(remoteBatch(`sessions-${expected}`, jobs, [machine({ port: target.port, slots: 4 })], { known_hosts_file: known }), {
          batchesDataDir: tempDir(),
          onEvent: (e) => e.type === 'job:start' && running++,
        });
        await waitFor(() => running === 4, 'four jobs running');
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(connections(target)).toBe(expected);
        writeFileSync(gate, '');
        expect((await run).status).toBe('succeed');
      }
    } finally {
      await limited.stop();
    }
  });

  it('brings metrics home from all channels: the library, stdout lines, metrics.json on the machine, and the daemon', async ({ skip }) => {
    if (skipReason) skip(skipReason);
    const root = tempDir();
    const result = await runBatch(remoteBatch('metrics', metricJobs(stageForTestUser(openDir())), [machine({ slots: 4 })]), {
      batchesDataDir: root,
      daemon: true,
      port: 0,
      exitOnFinish: true,
    });
    expect(result.status).toBe('succeed');
    expect(Object.fromEntries(result.jobs.map((j) => [j.name, j.metrics]))).toEqual(reportedMetrics);
  });

  it('runs the remote example as written, its machines being ~/.ssh/config aliases', async ({ skip }) => {
    if (skipReason) skip(skipReason);
    const dir = tempDir();
    const config = `Host gpu1 gpu2\n  HostName 127.0.0.1\n  Port ${host.port}\n  User ${testUser.name}\n  IdentityFile ~/.ssh/id_lab\n`;
    const home = clientHome(join(dir, 'home'), [host], { config, keys: { id_lab: keys.plain.key } });
    chmodSync(join(home, '.ssh', 'id_lab'), 0o600);
    const { code, stderr } = await runCli(['run', '--port', '0', '-c', join(exampleCopy('remote'), 'batch.yaml'), '--batches-data-dir', join(dir, 'data')], {
      env: { HOME: home, SSH_AUTH_SOCK: '' },
    });
    expect(code, stderr).toBe(0);
    expect(readFileSync(join(dir, 'data', 'remote-sweep', 'learning_rate=0.4', 'stdout'), 'utf8')).toMatch(/^training with \{"learning_rate":0.4\} on /);
    // The folder went to the machines, and each job's model came back.
    expect(readFileSync(join(dir, 'data', 'remote-sweep', 'learning_rate=0.4', 'out', 'model.txt'), 'utf8')).toMatch(/^trained with lr 0.4 on /);
    const hosts = JSON.parse((await runCli(['job', 'list', '-b', 'remote-sweep', '--json', '--batches-data-dir', join(dir, 'data')])).stdout).map(
      (j: { host: string }) => j.host,
    );
    expect(new Set(hosts)).toEqual(new Set(['gpu1', 'gpu2']));
  });

  it('jobs on the machine reach the daemon through HYPERCTL_SERVER_PORTAL', async ({ skip }) => {
    if (skipReason) skip(skipReason);
    const root = tempDir();
    const ask = `${process.execPath} -e "fetch(process.env.HYPERCTL_SERVER_PORTAL + '/hyperctl/api/job/' + process.env.HYPERCTL_JOB_NAME).then((r) => r.json()).then((b) => console.log(JSON.stringify(b.data.params)))"`;
    mkdirSync(root, { recursive: true });
    const result = await runBatch(remoteBatch('portal', [{ name: 'ask', params: { depth: 3 }, execution: { command: ask } }]), {
      batchesDataDir: root,
      daemon: true,
      port: 0,
      exitOnFinish: true,
    });
    expect(result.status, readFileSync(join(root, 'portal', 'ask', 'stderr'), 'utf8')).toBe('succeed');
    expect(readFileSync(join(root, 'portal', 'ask', 'stdout'), 'utf8')).toBe('{"depth":3}\n');
  });
});
