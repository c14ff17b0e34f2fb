import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliPath, fixturesDir, quickRun, runCli, startCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/processes.js';
import { exampleCopy } from '../helpers/examples.js';
import { ensureCommand } from '../helpers/system.js';
import { tempDir } from '../helpers/tmp.js';

let noPython: string | undefined;
beforeAll(() => {
  noPython = ensureCommand('python3', 'python3');
});

const printArgv = `${process.execPath} ${fixturesDir}print-argv.mjs`;

/** What each job of `batch` printed, by job name. */
function outputs(root: string, batch: string): Record<string, unknown> {
  const dir = join(root, batch);
  const jobs = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory());
  return Object.fromEntries(jobs.map((d) => [d.name, JSON.parse(readFileSync(join(dir, d.name, 'stdout'), 'utf8'))]));
}

describe('hyperctl run --param … -- COMMAND', () => {
  it('runs the grid of the values with each one in the command, and resumes when run again', async () => {
    const root = tempDir();
    const cwd = tempDir();
    const args = [
      'run',
      ...quickRun,
      '--batches-data-dir',
      root,
      '--param',
      'lr=0.1,0.2',
      '--param=depth=3,5',
      '--',
      printArgv,
      '--lr',
      '{lr}',
      '--depth={depth}',
    ];
    const first = await runCli(args, { cwd });
    expect(first.code, first.stderr).toBe(0);
    const [name] = readdirSync(root);
    expect(name).toMatch(/^print-argv-[0-9a-f]{6}$/);
    expect(first.stdout).toContain(`batch ${name}: 4 jobs, 0 already succeeded, 4 to run`);
    expect(outputs(root, name!)).toEqual({
      'lr=0.1,depth=3': ['--lr', '0.1', '--depth=3'],
      'lr=0.1,depth=5': ['--lr', '0.1', '--depth=5'],
      'lr=0.2,depth=3': ['--lr', '0.2', '--depth=3'],
      'lr=0.2,depth=5': ['--lr', '0.2', '--depth=5'],
    });
    const again = await runCli(args, { cwd });
    expect(again.stdout).toContain(`batch ${name}: 4 jobs, 4 already succeeded, 0 to run`);
    // The same line in another folder is another batch.
    expect((await runCli(args, { cwd: tempDir() })).code).toBe(0);
    expect(readdirSync(root)).toHaveLength(2);
  });

  it('parses values as JSON where they parse and never lets one become shell syntax', async () => {
    const root = tempDir();
    const cwd = tempDir();
    const hostile = ['$(touch pwned)', '`touch pwned`', '; touch pwned', "it's", 'say "hi"', 'a\nb', 'héllo wörld', '*'];
    const values = ['[1,"x"]', '{"a":{"b":2}}', 'true', '-1.5', 'plain\\,comma', ...hostile].join(',');
    const { code, stderr } = await runCli(
      ['run', ...quickRun, '--batches-data-dir', root, '--batch-name', 'odd', '--param', `v=${values}`, '--', `${printArgv} {v} {args}`],
      { cwd },
    );
    expect(code, stderr).toBe(0);
    const printed = Object.values(outputs(root, 'odd')) as string[][];
    const expected: unknown[] = [[1, 'x'], { a: { b: 2 } }, true, -1.5, 'plain,comma', ...hostile];
    const asWord = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
    expect(printed.map((words) => words[0]).sort()).toEqual(expected.map(asWord).sort());
    expect(printed.map((words) => words[1]).sort()).toEqual(expected.map((v) => `--v=${asWord(v)}`).sort());
    expect(existsSync(join(cwd, 'pwned'))).toBe(false);
  });

  it('quotes a value for where its placeholder stands: inside double quotes and single quotes too', async () => {
    const root = tempDir();
    const cwd = tempDir();
    const { code, stderr } = await runCli(
      [
        'run',
        ...quickRun,
        '--batches-data-dir',
        root,
        '--batch-name',
        'quoted',
        '--param',
        'x=$(touch pwned),my run,say "hi" `touch pwned`',
        '--',
        `${printArgv} "[{x}]" '<{x}>' --note="{x}"`,
      ],
      { cwd },
    );
    expect(code, stderr).toBe(0);
    const printed = Object.values(outputs(root, 'quoted')) as string[][];
    const values = ['$(touch pwned)', 'my run', 'say "hi" `touch pwned`'];
    expect(printed.sort()).toEqual(values.map((v) => [`[${v}]`, `<${v}>`, `--note=${v}`]).sort());
    expect(existsSync(join(cwd, 'pwned'))).toBe(false);
    // Where no value can be quoted, the run is refused before anything runs, with what to write instead.
    const refused = await runCli(['run', ...quickRun, '--batches-data-dir', root, '--param', 'x=1', '--', 'echo `echo {x}`']);
    expect([refused.code, refused.stderr]).toEqual([2, expect.stringContaining('{x} stands inside `…`, where the shell reads text twice: write $(…) instead')]);
  });

  it("returns when its jobs end, with the batch's exit code, without being told to; --serve keeps serving", async () => {
    const root = tempDir();
    // No --exit-on-finish: a sweep from the command line ends as GNU Parallel does.
    const ok = await runCli(['run', '--port', '0', '--batches-data-dir', root, '--param', 'n=1,2', '--', 'exit 0']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).not.toContain('stays up');
    const failed = await runCli(['run', '--port', '0', '--batches-data-dir', root, '--param', 'n=0,3', '--', 'exit {n}']);
    expect(failed.code).toBe(1);
    const served = startCli(['run', '--serve', '--port', '0', '--batches-data-dir', root, '--param', 'n=5', '--', 'true']);
    let said = '';
    served.child.stderr!.on('data', (chunk: Buffer) => (said += chunk));
    await waitFor(() => said.includes('its dashboard stays up at'), 'the sweep to serve after its job', 30_000);
    served.child.kill('SIGINT');
    expect((await served.done).code).toBe(0);
    const both = await runCli(['run', '--serve', '--exit-on-finish', '--param', 'n=1', '--', 'true']);
    expect([both.code, both.stderr]).toEqual([2, 'hyperctl: choose one of --serve and --exit-on-finish\n']);
  });

  it('says what is wrong with exit 2 and writes nothing', async () => {
    const root = tempDir();
    const config = join(tempDir(), 'batch.json');
    writeFileSync(config, JSON.stringify({ jobs: [{ params: {}, execution: { command: 'true' } }] }));
    for (const [args, message] of [
      [['--param', 'lr=0.1'], '--param needs the command to run after --'],
      [['--', 'true'], 'a command after -- needs at least one --param'],
      [['--param', '=1', '--', 'true'], '--param "=1": expected NAME=V1,V2,…'],
      [['--param', 'lr=', '--', 'true'], '--param lr: no values given'],
      [['--param', 'lr=1,1', '--', 'true'], '--param lr: the value 1 is given twice'],
      [['--param', 'lr=1', '--param', 'lr=2', '--', 'true'], '--param lr is given twice'],
      [['--param', 'lr=1', '--', 'echo', '{lrr}'], 'unknown placeholder {lrr} in job "lr=1"'],
      [['--param', 'lr=1', config, '--', 'true'], 'give a config'],
      [['--param', 'lr=1', '--batch-name', '../x', '--', 'true'], 'name: must not contain "/"'],
    ] as const) {
      const { code, stderr } = await runCli(['run', ...quickRun, '--batches-data-dir', root, ...args]);
      expect(code, stderr).toBe(2);
      expect(stderr).toContain(message);
    }
    const list = await runCli(['batch', 'list', '--', 'x', '--batches-data-dir', root]);
    expect(list).toMatchObject({
      code: 2,
      stderr: 'hyperctl: unexpected "--": only hyperctl run and hyperctl batch add take a command after it (--param … -- COMMAND)\n',
    });
    expect(existsSync(root) ? readdirSync(root) : []).toEqual([]);
  });

  it('refuses to drop jobs of an earlier run of the batch name from its views, unless told to', async () => {
    const root = tempDir();
    const sweepAs = (values: string, ...flags: string[]) =>
      runCli(['run', ...quickRun, '--batches-data-dir', root, '--batch-name', 'twice', ...flags, '--param', `s=${values}`, '--', 'echo {s}']);
    expect((await sweepAs('1,2,3')).code).toBe(0);
    // More values: the earlier jobs stay the batch's.
    expect((await sweepAs('1,2,3,4')).code).toBe(0);
    const narrowed = await sweepAs('7');
    expect([narrowed.code, narrowed.stderr]).toEqual([
      2,
      'hyperctl: batch "twice" has 4 job(s) from an earlier run that this config does not list (s=1, s=2, s=3, s=4): run it under another name (--batch-name, or name: in the config) to keep both, or drop them from its views (hyperctl run --drop-jobs, or dropJobs: true; their folders stay)\n',
    ]);
    expect(JSON.parse((await runCli(['batch', 'show', 'twice', '--json', '--batches-data-dir', root])).stdout).counts.total).toBe(4);
    expect((await sweepAs('7', '--drop-jobs')).code).toBe(0);
    const jobs = JSON.parse((await runCli(['job', 'list', '-b', 'twice', '--json', '--batches-data-dir', root])).stdout) as { name: string }[];
    expect(jobs.map((j) => j.name)).toEqual(['s=7']);
    expect(readdirSync(join(root, 'twice')).filter((f) => f.startsWith('s='))).toHaveLength(5);
  });

  it('--batch-name names a batch over its config', async () => {
    const root = tempDir();
    const config = join(tempDir(), 'batch.json');
    writeFileSync(config, JSON.stringify({ name: 'written', jobs: [{ params: {}, execution: { command: 'true' } }] }));
    expect((await runCli(['run', ...quickRun, '--batches-data-dir', root, '--batch-name', 'chosen', config])).code).toBe(0);
    expect(readdirSync(root)).toEqual(['chosen']);
  });
});

describe('the argparse example', () => {
  it('feeds an unmodified argparse script through placeholders, from a config and from --param', async ({ skip }) => {
    if (noPython) skip(noPython);
    const dir = exampleCopy('argparse');
    const root = tempDir();
    const env = { HYPERCTL_BATCHES_DATA_DIR: root };
    const fromConfig = await runCli(['run', join(dir, 'batch.yaml')], { env });
    expect(fromConfig.code, fromConfig.stderr).toBe(0);
    const results = (batch: string) =>
      readdirSync(join(root, batch), { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => JSON.parse(readFileSync(join(root, batch, d.name, 'result.json'), 'utf8')));
    expect(results('argparse-example').sort((a, b) => a.lr - b.lr)).toEqual([
      { lr: 0.01, depth: 4, optimizer: 'sgd', note: "it's a $(test)", loss: 0.75 },
      { lr: 0.05, depth: 8, optimizer: 'adam', note: '', loss: 0.125 },
    ]);
    // sweep.sh calls hyperctl as an installed package would be: found on the PATH.
    const bin = join(tempDir(), 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'hyperctl'), `#!/bin/sh\nexec ${process.execPath} ${cliPath} "$@"\n`);
    chmodSync(join(bin, 'hyperctl'), 0o755);
    await promisify(execFile)(join(dir, 'sweep.sh'), { env: { ...process.env, ...env, PATH: `${bin}:${process.env.PATH}` } });
    expect(results('argparse-sweep').map((r) => [r.lr, r.optimizer])).toEqual(
      expect.arrayContaining([
        [0.01, 'sgd'],
        [0.01, 'adam'],
        [0.05, 'sgd'],
        [0.05, 'adam'],
        [0.1, 'sgd'],
        [0.1, 'adam'],
      ]),
    );
  });
});
