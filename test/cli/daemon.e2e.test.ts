import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixturesDir, runCli, startCli, quickRun, type CliResult } from '../helpers/cli.js';
import { isRunning, readPids, waitFor } from '../helpers/processes.js';
import { ensureCommand } from '../helpers/system.js';
import { tempDir } from '../helpers/tmp.js';

let noPython: string | undefined;
beforeAll(() => {
  noPython = ensureCommand('python3', 'python3');
});

function writeBatch(dir: string, batch: unknown): string {
  const path = join(dir, 'batch.json');
  writeFileSync(path, JSON.stringify(batch));
  return path;
}

/** Polls `hyperctl job list --json` until `job` has `status`. */
function untilStatus(root: string, batch: string, job: string, status: string): Promise<void> {
  return waitFor(
    async () => {
      const { stdout } = await runCli(['job', 'list', '-b', batch, '--json', '--batches-data-dir', root]);
      return Boolean(stdout) && (JSON.parse(stdout) as { name: string; status: string }[]).some((j) => j.name === job && j.status === status);
    },
    `job ${job} to become ${status}`,
    15_000,
  );
}

/** Waits until `run` prints that its daemon keeps serving. */
async function untilServing(run: { child: { stderr: NodeJS.ReadableStream | null } }): Promise<void> {
  let text = '';
  run.child.stderr!.on('data', (chunk: Buffer) => (text += chunk));
  await waitFor(() => text.includes('dashboard stays up'), 'the daemon to keep serving', 20_000);
}

describe('hyperctl run with its daemon', () => {
  it("serves a Python job that asks for its params as Hypernets' client does", async ({ skip }) => {
    if (noPython) skip(noPython);
    const dir = tempDir();
    // What hyperctl.get_job_params() does in the original tool: GET {portal}/hyperctl/api/job/{name}, read data.params.
    const client = `python3 -c "import json, os, urllib.request as u; r = json.load(u.urlopen(os.environ['HYPERCTL_SERVER_PORTAL'] + '/hyperctl/api/job/' + os.environ['HYPERCTL_JOB_NAME'])); assert r['code'] == 0; print(json.dumps(r['data']['params'], sort_keys=True))"`;
    const config = writeBatch(dir, { name: 'compat', jobs: [{ name: 'py', params: { learning_rate: 0.1, max_depth: 3 }, execution: { command: client } }] });
    const { code } = await runCli(['run', ...quickRun, '-c', config, '--batches-data-dir', dir]);
    expect(code).toBe(0);
    expect(readFileSync(join(dir, 'compat', 'py', 'stdout'), 'utf8')).toBe('{"learning_rate": 0.1, "max_depth": 3}\n');
  });

  it('getJobParams() asks the daemon when neither the params variable nor the file is at hand', async () => {
    const dir = tempDir();
    const command = `env -u HYPERCTL_JOB_PARAMS -u HYPERCTL_JOB_PARAMS_FILE ${process.execPath} ${fixturesDir}print-params.mjs`;
    const config = writeBatch(dir, { name: 'remote-like', jobs: [{ name: 'a', params: { lr: 0.5, tag: "it's" }, execution: { command } }] });
    const { code, stderr } = await runCli(['run', ...quickRun, '-c', config, '--batches-data-dir', dir]);
    expect(code, stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'remote-like', 'a', 'stdout'), 'utf8')).params).toEqual({ lr: 0.5, tag: "it's" });
    // The token that guards the daemon is readable by its owner only.
    expect(statSync(join(dir, 'remote-like', 'token')).mode & 0o777).toBe(0o600);
  });

  it('job kill ends every process of the job, records it killed, and the next job runs', async () => {
    const dir = tempDir();
    const pids = join(dir, 'pids');
    const config = writeBatch(dir, {
      name: 'kill',
      jobs: [
        { name: 'tree', params: {}, execution: { command: `${fixturesDir}spawn-tree.sh ${pids}` } },
        { name: 'next', params: {}, execution: { command: 'true' } },
      ],
    });
    const run = startCli(['run', ...quickRun, '-c', config, '--batches-data-dir', dir, '--kill-grace', '2']);
    await waitFor(() => readPids(pids).length === 3, 'the job tree');
    const kill = await runCli(['job', 'kill', '-b', 'kill', '-j', 'tree', '--batches-data-dir', dir]);
    expect(kill).toMatchObject({ code: 0, stdout: 'job tree: killing\n' });
    const { code, stdout } = await run.done;
    expect(code).toBe(1);
    expect(stdout).toMatch(/killed tree/);
    for (const pid of readPids(pids)) expect(isRunning(pid), `pid ${pid}`).toBe(false);
    const jobs = JSON.parse((await runCli(['job', 'list', '-b', 'kill', '--json', '--batches-data-dir', dir])).stdout);
    expect(jobs.map((j: { name: string; status: string }) => [j.name, j.status])).toEqual([
      ['tree', 'killed'],
      ['next', 'succeed'],
    ]);
  });

  it('keeps serving after the batch by default, says so, and SIGTERM then exits with the batch outcome', async () => {
    for (const [command, expected] of [
      ['true', 0],
      ['exit 3', 1],
    ] as const) {
      const dir = tempDir();
      const config = writeBatch(dir, { name: 'serve', jobs: [{ name: 'j', params: {}, execution: { command } }], daemon: { port: 0 } });
      const run = startCli(['run', '-c', config, '--batches-data-dir', dir]);
      await untilServing(run);
      // Finished, yet still answered live by its daemon.
      const show = await runCli(['batch', 'show', 'serve', '--batches-data-dir', dir]);
      expect(show.stdout).toMatch(/status: +finished \(live, daemon http:\/\/127\.0\.0\.1:\d+\)/);
      const list = JSON.parse((await runCli(['batch', 'list', '--json', '--batches-data-dir', dir])).stdout);
      expect(list[0].portal).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      run.child.kill('SIGTERM');
      const result = await run.done;
      expect(result.code, result.stderr).toBe(expected);
      expect(result.stderr).toMatch(/^batch serve is done; its dashboard stays up at http:\/\/127\.0\.0\.1:\d+\/[\w-]+\/\n/m);
      expect(result.stderr).toContain(
        'Ctrl-C or "hyperctl batch stop serve" ends it (--exit-on-finish or daemon.exit_on_finish: true to exit when the jobs end)',
      );
      expect(JSON.parse((await runCli(['batch', 'list', '--json', '--batches-data-dir', dir])).stdout)[0]).toMatchObject({ status: 'finished', portal: null });
    }
  });

  it('exits by itself when daemon.exit_on_finish is true', async () => {
    const dir = tempDir();
    const config = writeBatch(dir, {
      name: 'bye',
      jobs: [{ name: 'j', params: {}, execution: { command: 'true' } }],
      daemon: { port: 0, exit_on_finish: true },
    });
    const { code, stderr } = await runCli(['run', '-c', config, '--batches-data-dir', dir]);
    expect(code).toBe(0);
    expect(stderr).not.toContain('dashboard stays up');
  });

  it('batch stop ends a batch: running jobs finish, no new job starts, the runner exits', async () => {
    const dir = tempDir();
    const gate = join(dir, 'gate');
    const wait = `while [ ! -e ${gate} ]; do sleep 0.02; done`;
    const config = writeBatch(dir, {
      name: 'halt',
      jobs: [
        { name: 'a', params: {}, execution: { command: wait } },
        { name: 'b', params: {}, execution: { command: 'true' } },
      ],
      daemon: { port: 0 },
    });
    const run = startCli(['run', '-c', config, '--batches-data-dir', dir]);
    await untilStatus(dir, 'halt', 'a', 'running');
    expect(await runCli(['batch', 'stop', 'halt', '--batches-data-dir', dir])).toMatchObject({
      code: 0,
      stdout: 'batch halt: stopping; running jobs will finish\n',
    });
    writeFileSync(gate, '');
    const { code, stdout } = await run.done;
    expect(code).toBe(1);
    expect(stdout).toContain('1 not started');
    const jobs = JSON.parse((await runCli(['job', 'list', '-b', 'halt', '--json', '--batches-data-dir', dir])).stdout);
    expect(jobs.map((j: { status: string }) => j.status)).toEqual(['succeed', 'init']);
  });

  it('batch stop --kill kills the running jobs', async () => {
    const dir = tempDir();
    const config = writeBatch(dir, { name: 'halt', jobs: [{ name: 'a', params: {}, execution: { command: 'sleep 30' } }], daemon: { port: 0 } });
    const run = startCli(['run', '-c', config, '--batches-data-dir', dir]);
    await untilStatus(dir, 'halt', 'a', 'running');
    expect((await runCli(['batch', 'stop', 'halt', '--kill', '--batches-data-dir', dir])).code).toBe(0);
    const { code } = await run.done;
    expect(code).toBe(130);
    expect(JSON.parse((await runCli(['job', 'describe', '-b', 'halt', '-j', 'a', '--batches-data-dir', dir])).stdout)).toMatchObject({
      status: 'killed',
      command: 'sleep 30',
    });
  });

  it('kill and stop on a batch that is not running say so and exit 1', async () => {
    const dir = tempDir();
    const config = writeBatch(dir, { name: 'over', jobs: [{ name: 'a', params: {}, execution: { command: 'true' } }] });
    await runCli(['run', ...quickRun, '-c', config, '--batches-data-dir', dir]);
    for (const args of [
      ['job', 'kill', '-b', 'over', '-j', 'a'],
      ['batch', 'stop', 'over'],
    ]) {
      const { code, stderr } = await runCli([...args, '--batches-data-dir', dir]);
      expect(code).toBe(1);
      expect(stderr).toBe('hyperctl: batch "over" is not running (it is finished); there is nothing to kill, stop or steer\n');
    }
    const running = writeBatch(dir, { name: 'busy', jobs: [{ name: 'a', params: {}, execution: { command: 'sleep 30' } }], daemon: { port: 0 } });
    const run = startCli(['run', '-c', running, '--batches-data-dir', dir]);
    await untilStatus(dir, 'busy', 'a', 'running');
    const missing = await runCli(['job', 'kill', '-b', 'busy', '-j', 'nope', '--batches-data-dir', dir]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no job "nope"');
    run.child.kill('SIGTERM');
    expect((await run.done).code).toBe(130);
  });

  it('batch dashboard needs a served batch, batch serve one that nothing runs; --on-interrupt takes cancel or leave', async () => {
    const dir = tempDir();
    const config = writeBatch(dir, { name: 'idle', jobs: [{ name: 'a', params: {}, execution: { command: 'true' } }] });
    await runCli(['run', ...quickRun, '-c', config, '--batches-data-dir', dir]);
    const dashboard = await runCli(['batch', 'dashboard', 'idle', '--batches-data-dir', dir]);
    expect(dashboard.code).toBe(1);
    expect(dashboard.stderr).toBe('hyperctl: batch "idle" is not served (it is finished); "hyperctl batch serve idle" serves its dashboard from disk\n');

    const busy = writeBatch(dir, { name: 'busy', jobs: [{ name: 'a', params: {}, execution: { command: 'sleep 30' } }], daemon: { port: 0 } });
    const run = startCli(['run', '-c', busy, '--batches-data-dir', dir]);
    await untilStatus(dir, 'busy', 'a', 'running');
    const serve = await runCli(['batch', 'serve', 'busy', '--port', '0', '--batches-data-dir', dir]);
    expect(serve.code).toBe(2);
    expect(serve.stderr).toMatch(/^hyperctl: batch "busy" is being run by pid \d+; see its dashboard with hyperctl batch dashboard busy\n$/);
    run.child.kill('SIGTERM');
    await run.done;

    const bad = await runCli(['run', ...quickRun, '-c', config, '--batches-data-dir', dir, '--on-interrupt', 'later']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('hyperctl: --on-interrupt: expected cancel or leave, got "later"\n');
  });

  it('batch serve holds the batch: batch dashboard and batch list find it, a run waits for it, batch stop ends it', async () => {
    const dir = tempDir();
    const config = writeBatch(dir, { name: 'shown', jobs: [{ name: 'a', params: {}, execution: { command: 'true' } }] });
    await runCli(['run', ...quickRun, '-c', config, '--batches-data-dir', dir]);
    const serve = startCli(['batch', 'serve', 'shown', '--port', '0', '--batches-data-dir', dir]);
    let said = '';
    serve.child.stderr!.on('data', (chunk: Buffer) => (said += chunk));
    await waitFor(() => said.includes('serving batch shown'), 'the batch to be served');
    const served = /at (http:\/\/\S+\/)\n/.exec(said)![1]!;
    const dashboard = await runCli(['batch', 'dashboard', 'shown', '--batches-data-dir', dir]);
    expect(dashboard).toMatchObject({ code: 0, stdout: `${served}\n` });
    const [listed] = JSON.parse((await runCli(['batch', 'list', '--json', '--batches-data-dir', dir])).stdout);
    expect(listed).toMatchObject({ status: 'finished', portal: served.replace(/\/[^/]+\/$/, '') });
    // Its start and duration are the last run's, not the server's.
    expect(listed.elapsedMs).toBeGreaterThanOrEqual(0);
    const again = await runCli(['run', ...quickRun, '-c', config, '--batches-data-dir', dir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('"hyperctl batch stop shown"');
    expect(await runCli(['batch', 'stop', 'shown', '--batches-data-dir', dir])).toMatchObject({
      code: 0,
      stdout: 'batch shown has ended (finished); its daemon stops serving it\n',
    });
    expect((await serve.done).code).toBe(0);
    expect(JSON.parse((await runCli(['batch', 'list', '--json', '--batches-data-dir', dir])).stdout)[0].portal).toBeNull();
    expect((await runCli(['run', ...quickRun, '-c', config, '--batches-data-dir', dir])).code).toBe(0);
  });

  it('takes any free port when the default port is taken and says which; a configured port stays its own', async () => {
    const dir = tempDir();
    // Hold 8060, unless something else already does: taken either way.
    const holder = createServer();
    await new Promise<void>((resolve) => holder.once('error', () => resolve()).listen(8060, '127.0.0.1', () => resolve()));
    try {
      const config = writeBatch(dir, { name: 'elsewhere', jobs: [{ name: 'a', params: {}, execution: { command: 'true' } }] });
      const { code, stderr } = await runCli(['run', '--exit-on-finish', '-c', config, '--batches-data-dir', dir]);
      expect(code, stderr).toBe(0);
      const port = /so this daemon listens on http:\/\/127\.0\.0\.1:(\d+)\n/.exec(stderr)?.[1];
      expect(port, stderr).toBeDefined();
      expect(stderr).toContain(`daemon: http://127.0.0.1:${port} `);
      expect(stderr).toMatch(/^warning: port 8060 is in use \(by another batch\?\)/m);
    } finally {
      holder.close();
    }
  });

  it('exits 2 naming the port when it is in use, and writes nothing', async () => {
    const dir = tempDir();
    const config = writeBatch(dir, { name: 'first', jobs: [{ name: 'a', params: {}, execution: { command: 'sleep 30' } }], daemon: { port: 0 } });
    const first = startCli(['run', '-c', config, '--batches-data-dir', dir]);
    await untilStatus(dir, 'first', 'a', 'running');
    const port = Number(/:(\d+)$/.exec(JSON.parse((await runCli(['batch', 'list', '--json', '--batches-data-dir', dir])).stdout)[0].portal)![1]);
    const other = tempDir();
    const clash = writeBatch(other, { name: 'second', jobs: [{ name: 'a', params: {}, execution: { command: 'true' } }], daemon: { port } });
    const { code, stderr } = await runCli(['run', '-c', clash, '--batches-data-dir', other]);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `hyperctl: daemon.port: port ${port} on localhost is already in use; choose another daemon.port (0 picks a free one) or stop what uses it\n`,
    );
    expect((await runCli(['batch', 'list', '--json', '--batches-data-dir', other])).stdout.trim()).toBe('[]');
    // Asked for by the flag, it is named as the flag.
    const flagged = await runCli(['run', '-c', clash, '--port', String(port), '--batches-data-dir', other]);
    expect([flagged.code, flagged.stderr]).toEqual([
      2,
      `hyperctl: --port ${port}: the port is already in use; choose another (0 picks a free one) or stop what uses it\n`,
    ]);
    // A second run of the running batch, on the default port while 8060 is taken, ends on that, with no word of ports before it.
    const holder = createServer();
    await new Promise<void>((resolve) => holder.once('error', () => resolve()).listen(8060, '127.0.0.1', () => resolve()));
    try {
      const unported = writeBatch(tempDir(), { name: 'first', jobs: [{ name: 'a', params: {}, execution: { command: 'sleep 30' } }] });
      const again = await runCli(['run', '-c', unported, '--batches-data-dir', dir]);
      expect([again.code, again.stderr]).toEqual([2, expect.stringMatching(/^hyperctl: batch "first" is already running \(pid \d+\)[^\n]*\n$/)]);
    } finally {
      holder.close();
    }
    first.child.kill('SIGTERM');
    await first.done;
  });

  it('SIGTERM while clients hammer the API leaves consistent state', async () => {
    const dir = tempDir();
    // Past the first two, jobs wait for a gate that opens only for the re-run: the signal always meets a running batch.
    const gate = join(dir, 'gate');
    const jobs = Array.from({ length: 40 }, (_, i) => ({
      name: `j${i}`,
      params: { i },
      execution: { command: i < 2 ? 'true' : `while [ ! -e '${gate}' ]; do sleep 0.05; done` },
    }));
    const config = writeBatch(dir, { name: 'busy', jobs, daemon: { port: 0 } });
    const run = startCli(['run', '-c', config, '--batches-data-dir', dir, '-p', '2']);
    await untilStatus(dir, 'busy', 'j1', 'succeed');
    const hammering: Promise<CliResult>[] = [];
    for (let i = 0; i < 6; i++)
      hammering.push(runCli(['job', 'list', '-b', 'busy', '--json', '--batches-data-dir', dir]), runCli(['batch', 'show', 'busy', '--batches-data-dir', dir]));
    await new Promise((resolve) => setTimeout(resolve, 150));
    run.child.kill('SIGTERM');
    const { code } = await run.done;
    expect(code).toBe(130);
    for (const result of await Promise.all(hammering)) {
      // Each answer is whole: from the daemon, from disk, or a clear error, never a stack.
      expect(result.stderr).not.toMatch(/internal error|\n\s+at /);
    }
    const after = JSON.parse((await runCli(['batch', 'show', 'busy', '--json', '--batches-data-dir', dir])).stdout);
    expect(after.status).toBe('interrupted');
    expect(after.counts.running).toBe(0);
    expect(after.counts.total).toBe(40);
    expect(after.counts.succeed).toBe(2);
    writeFileSync(gate, '');
    const again = await runCli(['run', ...quickRun, '-c', config, '--batches-data-dir', dir, '-p', '2', '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).counts).toMatchObject({ succeed: 40, skipped: after.counts.succeed });
  });
});
