import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/processes.js';
import { testUser, useSharedSshd } from '../helpers/sshd.js';
import { tempDir } from '../helpers/tmp.js';

/*
 * Files in the format of Hypernets' later releases, written the way their own examples are
 * (local_batch.json, remote_batch.json, job_template.yml), run unchanged.
 */

const sshd = useSharedSshd('hyperctl-hypernets-');

/** A job that shows what it was given: an asset of each kind, its environment, its params. */
const showCommand =
  'cat resources/data/sub/b.txt resources/model.cfg; readlink resources/data/link; echo "env=$MY_ENV tmp=$TMP"; test -d "$TMP" && echo tmp-made; python3 -c \'import json,os; print(json.load(open(os.environ["HYPERCTL_JOB_PARAMS_FILE"])))\'';

/** A project folder with the assets jobs get: a file, and a folder with a sub-folder and a link. */
function project(): string {
  const dir = tempDir();
  mkdirSync(join(dir, 'data', 'sub'), { recursive: true });
  writeFileSync(join(dir, 'data', 'sub', 'b.txt'), 'deep\n');
  symlinkSync('sub/b.txt', join(dir, 'data', 'link'));
  writeFileSync(join(dir, 'model.cfg'), 'depth=3\n');
  return dir;
}

describe("the later releases' format", () => {
  it('runs a local batch as written: one job_command, assets in resources/, backend.environments, a TMP of its own, exiting when done', async () => {
    const dir = project();
    writeFileSync(
      join(dir, 'local_batch.json'),
      JSON.stringify({
        name: 'local-batch',
        job_command: showCommand,
        jobs: [
          { name: 'job1', params: { learning_rate: 0.1 }, assets: ['data', 'model.cfg'] },
          { name: 'job2', params: { learning_rate: 0.2 }, assets: ['data', 'model.cfg'] },
        ],
        server: { host: 'localhost', port: 0 },
        scheduler: { interval: 5000 },
        backend: { type: 'local', environments: { MY_ENV: 'local-env' } },
        version: '2.5',
      }),
    );
    // No --exit-on-finish: those releases end the run with its jobs.
    const run = await runCli(['run', '-c', 'local_batch.json', '--batches-data-dir', join(dir, 'bd')], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    for (const [job, lr] of [
      ['job1', 0.1],
      ['job2', 0.2],
    ] as const) {
      const data = join(dir, 'bd', 'local-batch', job);
      expect(readFileSync(join(data, 'stdout'), 'utf8')).toBe(`deep\ndepth=3\nsub/b.txt\nenv=local-env tmp=${data}/tmp\ntmp-made\n{'learning_rate': ${lr}}\n`);
    }
  });

  it('refuses an asset that is not there, naming it where the file wrote it, and writes nothing', async () => {
    const dir = project();
    writeFileSync(
      join(dir, 'b.json'),
      JSON.stringify({ name: 'b', job_command: 'true', jobs: [{ name: 'j', params: {}, assets: ['model.cfg', 'nope.csv'] }] }),
    );
    const run = await runCli(['run', '-c', 'b.json', '--batches-data-dir', join(dir, 'bd')], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`jobs[0].assets[1]: ${join(dir, 'nope.csv')} does not exist`);
    expect(existsSync(join(dir, 'bd'))).toBe(false);
  });

  it('refuses a file that writes one thing in both formats, naming both, and names every path as the file wrote it', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'mixed.json'), JSON.stringify({ job_command: 'true', jobs: [{ params: {} }], server: { port: 1 }, daemon: { port: 2 } }));
    const mixed = await runCli(['run', '-c', 'mixed.json', '--batches-data-dir', join(dir, 'bd')], { cwd: dir });
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain('server: sets the daemon, as daemon does: keep one');
    writeFileSync(
      join(dir, 'typos.json'),
      JSON.stringify({
        jobs: [{ params: { a: 1 } }, { params: { a: 2 } }],
        server: { prot: 8061 },
        backend: { type: 'remote', machines: [{ connection: { hostname: 'h', usrname: 'u' } }] },
      }),
    );
    const typos = await runCli(['run', '-c', 'typos.json', '--batches-data-dir', join(dir, 'bd')], { cwd: dir });
    expect(typos.code).toBe(2);
    expect(typos.stderr.trim().split('\n').slice(1)).toEqual([
      '  job_command: required',
      '  backend.machines[0].connection.usrname: unknown key (did you mean "username"?)',
      '  server.prot: unknown key (did you mean "port"?)',
    ]);
    expect(existsSync(join(dir, 'bd'))).toBe(false);
    // What neither those releases nor a JSON parser read is refused with its place, as before.
    writeFileSync(join(dir, 'comma.json'), '{"job_command": "true",\n "jobs": [{"params": {}},]}');
    const comma = await runCli(['run', '-c', 'comma.json', '--batches-data-dir', join(dir, 'bd')], { cwd: dir });
    expect(comma.code).toBe(2);
    expect(comma.stderr).toMatch(/comma\.json:2:\d+: invalid JSON/);
  });

  it('pauses while the signal file exists and goes on once it is gone', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'hold'), '');
    writeFileSync(
      join(dir, 'b.json'),
      JSON.stringify({ name: 'held', job_command: 'echo ran', jobs: [{ name: 'j1', params: {} }], scheduler: { signal_file: 'hold' }, server: { port: 0 } }),
    );
    const { child, done } = startCli(['run', '-c', 'b.json', '--batches-data-dir', join(dir, 'bd')], { cwd: dir });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
    await waitFor(() => stderr.includes(`paused while ${join(dir, 'hold')} exists`), 'the pause');
    expect(existsSync(join(dir, 'bd', 'held', 'j1', 'stdout'))).toBe(false);
    rmSync(join(dir, 'hold'));
    const run = await done;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('resumed');
    expect(readFileSync(join(dir, 'bd', 'held', 'j1', 'stdout'), 'utf8')).toBe('ran\n');
  });

  it('generates a batch in the format of its template, or the other when asked, and both run the same jobs', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'job_template.yml'),
      'params:\n  learning_rate: [0.1, 0.2]\n  max_depth: [3, 5]\ncommand: echo {learning_rate} {max_depth}\nserver:\n  port: 0\nscheduler:\n  exit_on_finish: true\n',
    );
    expect((await runCli(['generate', '-t', 'job_template.yml', '-o', 'later.json'], { cwd: dir })).code).toBe(0);
    const later = JSON.parse(readFileSync(join(dir, 'later.json'), 'utf8'));
    expect(later).toMatchObject({ job_command: 'echo {learning_rate} {max_depth}', server: { port: 0 }, scheduler: { exit_on_finish: true } });
    expect(later.jobs[1]).toEqual({ name: 'learning_rate=0.1,max_depth=5', params: { learning_rate: 0.1, max_depth: 5 } });
    const own = await runCli(['generate', '-t', 'job_template.yml', '-o', 'own.yaml', '--dialect', 'hyperctl', '--json'], { cwd: dir });
    expect(JSON.parse(own.stdout)).toEqual({ output: join(dir, 'own.yaml'), jobs: 4, dialect: 'hyperctl' });
    const ownBatch = parse(readFileSync(join(dir, 'own.yaml'), 'utf8'));
    expect(ownBatch).toMatchObject({ daemon: { port: 0, exit_on_finish: true }, independent_tmp: true });
    expect(ownBatch.jobs[1]).toEqual({ ...later.jobs[1], execution: { command: 'echo {learning_rate} {max_depth}' } });
    const outputs = async (file: string, root: string) => {
      const run = await runCli(['run', '-c', file, '--batch-name', 'grid', '--batches-data-dir', root], { cwd: dir });
      expect(run.code, run.stderr).toBe(0);
      return later.jobs.map((job: { name: string }) => readFileSync(join(root, 'grid', job.name, 'stdout'), 'utf8'));
    };
    expect(await outputs('later.json', join(dir, 'a'))).toEqual(['0.1 3\n', '0.1 5\n', '0.2 3\n', '0.2 5\n']);
    expect(await outputs('own.yaml', join(dir, 'b'))).toEqual(['0.1 3\n', '0.1 5\n', '0.2 3\n', '0.2 5\n']);
    const bad = await runCli(['generate', '-t', 'job_template.yml', '-o', 'x.json', '--dialect', 'python'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--dialect: expected hyperctl or hypernets, got "python"');
  });

  it("runs a remote batch as written: each machine's connection and environments, assets sent to resources/, a TMP of its own there", async ({
    skip,
    onTestFinished: onExit,
  }) => {
    if (sshd.skipReason) return skip(sshd.skipReason);
    const dir = project();
    const machineDir = `/home/${testUser.name}/hyperctl-hypernets-${randomBytes(4).toString('hex')}`;
    onExit(() => rmSync(machineDir, { recursive: true, force: true }));
    writeFileSync(
      join(dir, 'remote_batch.json'),
      JSON.stringify({
        name: 'remote-batch',
        job_command: showCommand,
        jobs: [
          { name: 'job1', params: { learning_rate: 0.1 }, assets: ['data', 'model.cfg'] },
          { name: 'job2', params: { learning_rate: 0.2 }, assets: ['data', 'model.cfg'] },
        ],
        server: { host: 'localhost', port: 0 },
        scheduler: { exit_on_finish: true, interval: 5000 },
        backend: {
          type: 'remote',
          machines: [
            {
              connection: { hostname: sshd.host.address, port: sshd.host.port, username: testUser.name, ssh_rsa_file: sshd.key },
              environments: { MY_ENV: 'machine-env' },
              data_dir: machineDir,
            },
          ],
          known_hosts_file: sshd.knownHosts,
        },
      }),
    );
    const run = await runCli(['run', '-c', 'remote_batch.json', '--batches-data-dir', join(dir, 'bd')], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    for (const [job, lr] of [
      ['job1', 0.1],
      ['job2', 0.2],
    ] as const) {
      const remote = join(machineDir, 'remote-batch', job);
      expect(readFileSync(join(dir, 'bd', 'remote-batch', job, 'stdout'), 'utf8')).toBe(
        `deep\ndepth=3\nsub/b.txt\nenv=machine-env tmp=${remote}/tmp\ntmp-made\n{'learning_rate': ${lr}}\n`,
      );
      expect(readFileSync(join(remote, 'resources', 'model.cfg'), 'utf8')).toBe('depth=3\n');
    }
  });
});
