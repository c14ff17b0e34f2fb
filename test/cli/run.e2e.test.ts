import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixturesDir, runCli, startCli, quickRun } from '../helpers/cli.js';
import { exampleCopy } from '../helpers/examples.js';
import { isRunning, readPids, waitFor } from '../helpers/processes.js';
import { ensureCommand } from '../helpers/system.js';
import { onTerminal } from '../helpers/terminal.js';
import { tempDir } from '../helpers/tmp.js';

let noPython: string | undefined;
beforeAll(() => {
  noPython = ensureCommand('python3', 'python3');
});

/** The only batch folder under `root`. */
function onlyBatch(root: string): string {
  const [name, ...rest] = readdirSync(root);
  expect(rest).toEqual([]);
  return join(root, name!);
}

function writeBatch(dir: string, batch: unknown, file = 'batch.json'): string {
  const path = join(dir, file);
  writeFileSync(path, JSON.stringify(batch));
  return path;
}

describe('hyperctl', () => {
  it('prints the usage with every command when run alone or with -h', async () => {
    for (const args of [[], ['-h'], ['--help']]) {
      const { code, stdout } = await runCli(args);
      expect(code).toBe(0);
      expect(stdout).toContain('USAGE hyperctl COMMAND');
      expect(stdout).toMatch(/^ {2}run +run a batch/m);
      expect(stdout).not.toContain('\u001b[');
    }
  });

  it('fits its help to an 80-column terminal: no line wider, none padded at its end', async () => {
    for (const args of [['--help'], ['run', '--help'], ['batch', '--help'], ['batch', 'compare', '--help']]) {
      const terminal = onTerminal(args, 80);
      expect(await terminal.done).toBe(0);
      const lines = stripVTControlCharacters(terminal.text()).replace(/\r/g, '').split('\n');
      expect(lines.length, args.join(' ')).toBeGreaterThan(5);
      for (const line of lines) {
        expect(line.length, `${args.join(' ')}: ${line}`).toBeLessThan(80);
        expect(line, `${args.join(' ')}: ${line}`).toBe(line.trimEnd());
      }
    }
    expect((await runCli(['run', '--help'])).stdout).toMatch(/^ {2}-p, --parallelism N +jobs at once:/m);
  });

  it('says what was meant: a mistyped option, a forgotten --, values given apart from their name, the line of a YAML error', async () => {
    const dir = tempDir();
    expect(await runCli(['run', '--paralelism', '2', '--param', 'lr=0.1', '--', 'true'])).toMatchObject({
      code: 2,
      stderr: 'hyperctl: unknown option --paralelism; did you mean --parallelism?; see hyperctl run --help\n',
    });
    expect(await runCli(['run', '--param', 'lr=0.1,0.2', 'python3', 'train.py', '--lr', '{lr}'])).toMatchObject({
      code: 2,
      stderr: 'hyperctl: unknown option --lr: the command to run goes after --, as in hyperctl run --param lr=0.1,0.2 -- python3 train.py --lr {lr}\n',
    });
    expect(await runCli(['run', '--param', 'lr', '0.1,0.2', '--', 'echo', '{lr}'])).toMatchObject({
      code: 2,
      stderr: 'hyperctl: --param lr 0.1,0.2: expected NAME=V1,V2,…; did you mean --param lr=0.1,0.2?\n',
    });
    const yaml = join(dir, 'batch.yaml');
    writeFileSync(yaml, 'name: x\njobs:\n  - name: a\n   params: {}\n');
    expect(await runCli(['run', yaml])).toMatchObject({
      code: 2,
      stderr: `hyperctl: ${yaml}:4:1: invalid YAML: Sequence item without - indicator\n  4 |    params: {}\n    | ^\n`,
    });
  });

  it('refuses an unknown option or command with exit code 2', async () => {
    const unknownOption = await runCli(['run', ...quickRun, '--paralelism', '2']);
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toContain('unknown option --paralelism');
    const unknownCommand = await runCli(['rnu']);
    expect(unknownCommand.code).toBe(2);
    expect(unknownCommand.stderr).toContain('Unknown command rnu');
  });
});

describe('hyperctl run', () => {
  it('runs the quickstart: a JavaScript job reads its params with getJobParams()', async () => {
    const root = tempDir();
    // As the README runs it: it must end by itself (only the port is freed up for the test).
    const { code, stdout } = await runCli(['run', '--port', '0', '--config', join(exampleCopy('quickstart'), 'batch.yaml'), '--batches-data-dir', root]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/\[1\/1\] succeed learning_rate=0\.1/);
    expect(readFileSync(join(onlyBatch(root), 'learning_rate=0.1', 'stdout'), 'utf8')).toBe('training with { learning_rate: 0.1 }\n');
  });

  it('runs a job in another language that reads its params from the environment and the file', async ({ skip }) => {
    if (noPython) skip(noPython);
    const root = tempDir();
    const { code } = await runCli(['run', ...quickRun, '-c', join(exampleCopy('python'), 'batch.json')], { env: { HYPERCTL_BATCHES_DATA_DIR: root } });
    expect(code).toBe(0);
    expect(readFileSync(join(onlyBatch(root), 'learning_rate=0.1', 'stdout'), 'utf8')).toBe("{'learning_rate': 0.1}\n");
  });

  it('runs a TypeScript config found in the current folder', async () => {
    const root = tempDir();
    const { code, stdout } = await runCli(['run', ...quickRun, '--batches-data-dir', root], { cwd: exampleCopy('typescript') });
    expect(code).toBe(0);
    expect(stdout).toContain('4 to run on 2 slots');
    expect(JSON.parse(readFileSync(join(root, 'typescript-example', 'optimizer=adam,epochs=2', 'result.json'), 'utf8'))).toEqual({ loss: 0.25 });
  });

  it('runs the test-harness example: a sweep checked through the read API', async () => {
    const dir = exampleCopy('test-harness');
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ['check-sweep.mjs'], { cwd: dir }, (error, out, err) =>
        resolve({ code: error ? (error.code as number) : 0, stdout: out, stderr: err }),
      );
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^best: lr=0\.1 score=1\n$/);
  });

  it('runs the output of generate as it is', async ({ skip }) => {
    if (noPython) skip(noPython);
    const dir = exampleCopy('grid');
    const root = tempDir();
    const generated = await runCli(['generate', '--template', 'job-template.yml', '--output', 'batch.json'], { cwd: dir });
    expect(generated).toMatchObject({ code: 0, stdout: 'wrote 4 jobs to batch.json\n' });
    const { code, stdout } = await runCli(['run', ...quickRun, '--config', 'batch.json', '--parallelism', '2', '--batches-data-dir', root], { cwd: dir });
    expect(code).toBe(0);
    expect(stdout).toContain('4 to run on 2 slots');
    expect(readFileSync(join(onlyBatch(root), 'learning_rate=0.2,max_depth=5', 'stdout'), 'utf8')).toBe('learning_rate=0.2 max_depth=5 score=1.00\n');
  });

  it('runs the GPU example: its template generates, and each job sees one of the four GPUs', async () => {
    const dir = exampleCopy('gpus');
    expect((await runCli(['generate', '-t', 'job-template.yml', '-o', 'batch.json'], { cwd: dir })).code).toBe(0);
    const { code, stdout } = await runCli(['run', ...quickRun, '-c', 'batch.json', '--json', '--batches-data-dir', join(dir, 'data')], { cwd: dir });
    expect(code).toBe(0);
    const summary = JSON.parse(stdout) as { jobs: { dataDir: string }[] };
    const gpus = summary.jobs.map((j) => readFileSync(join(j.dataDir, 'stdout'), 'utf8').match(/on GPU (\S+)/)![1]);
    expect(gpus).toHaveLength(8);
    for (const gpu of gpus) expect(['0', '1', '2', '3']).toContain(gpu);
  });

  it('takes the config as its argument too, and prints its version with -V', async () => {
    const dir = tempDir();
    const config = writeBatch(dir, { name: 'positional', jobs: [{ name: 'a', params: {}, execution: { command: 'echo positional' } }] });
    const { code, stdout } = await runCli(['run', config, ...quickRun, '--batches-data-dir', dir]);
    expect(code).toBe(0);
    expect(stdout).toContain('[1/1] succeed a');
    const both = await runCli(['run', config, '-c', join(dir, 'other.json'), '--batches-data-dir', dir]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('two configs given');
    const version = await runCli(['-V']);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('exits 1 when a job fails, naming it and its stderr file', async () => {
    const dir = tempDir();
    const config = writeBatch(dir, {
      name: 'fails',
      jobs: [
        { name: 'ok', params: {}, execution: { command: 'true' } },
        { name: 'bad', params: {}, execution: { command: 'seq 1 20 >&2; echo "ValueError: lr must be > 0" >&2; exit 3' } },
      ],
    });
    const { code, stdout } = await runCli(['run', ...quickRun, '-c', config, '--batches-data-dir', dir]);
    expect(code).toBe(1);
    // The last lines of its stderr under its line.
    expect(stdout).toMatch(/\[2\/2\] failed bad \d+\.\ds \(exit code 3\)\n {4}17\n {4}18\n {4}19\n {4}20\n {4}ValueError: lr must be > 0\n/);
    expect(stdout).toContain(`failed bad: exit code 3 · ${join(dir, 'fails', 'bad', 'stderr')}`);
  });

  it('exits 2 on an invalid config, names the field, prints no stack and writes nothing', async () => {
    const dir = tempDir();
    const root = join(dir, 'batches');
    const config = writeBatch(dir, {
      jobs: [
        { params: {}, execution: { command: 'true' } },
        { params: {}, execution: { command: 'true' } },
        { params: { a: 1 }, execution: {} },
      ],
    });
    const { code, stdout, stderr } = await runCli(['run', ...quickRun, '-c', config, '--batches-data-dir', root]);
    expect(code).toBe(2);
    expect(stderr).toContain('jobs[2].execution.command: required');
    expect(stderr).toContain(config);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stdout).toBe('');
    expect(existsSync(root)).toBe(false);
  });

  it.each([
    ['a missing config file', ['-c', '/no/such/batch.json'], 'cannot read file (ENOENT)'],
    ['no config and none found', [], 'no --config given'],
    ['a bad --parallelism', ['-c', 'x.json', '--parallelism', 'two'], '--parallelism: expected a whole number from 1 to 100000, got "two"'],
    ['a negative -p', ['-c', 'x.json', '-p', '-1'], '--parallelism: expected a whole number from 1 to 100000, got "-1"'],
  ])('exits 2 on %s', async (_what, args, message) => {
    const dir = tempDir();
    const { code, stderr } = await runCli(['run', ...quickRun, ...args], { cwd: dir });
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it('--halt gives up after failures, and a malformed --halt is a usage error', async () => {
    const dir = tempDir();
    const jobs = [
      { name: 'bad', params: {}, execution: { command: 'exit 1' } },
      ...[1, 2, 3].map((i) => ({ name: `later${i}`, params: {}, execution: { command: 'true' } })),
    ];
    const config = writeBatch(dir, { name: 'halting', jobs });
    const { code, stdout, stderr } = await runCli(['run', ...quickRun, '-c', config, '--batches-data-dir', dir, '--halt', 'soon,fail=1', '--json']);
    expect(code).toBe(1);
    expect(JSON.parse(stdout).counts).toMatchObject({ failed: 1, init: 3 });
    expect(stderr).toBe('');
    const bad = await runCli(['run', ...quickRun, '-c', config, '--batches-data-dir', dir, '--halt', 'fail=1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('hyperctl: --halt: expected soon,fail=N or now,fail=N% (e.g. soon,fail=3), got "fail=1"\n');
  });

  it('prints a JSON summary with --json', async () => {
    const dir = tempDir();
    const config = writeBatch(dir, { name: 'js', jobs: [{ name: 'a', params: { x: 1 }, execution: { command: 'true' } }] });
    const { code, stdout } = await runCli(['run', ...quickRun, '-c', config, '--json', '--batches-data-dir', dir]);
    expect(code).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary).toMatchObject({
      name: 'js',
      status: 'succeed',
      counts: { total: 1, succeed: 1 },
      jobs: [{ name: 'a', status: 'succeed', exitCode: 0, params: { x: 1 } }],
    });
  });

  it('prefixes job output with the job name with --tail', async () => {
    const dir = tempDir();
    const config = writeBatch(dir, { name: 'tail', jobs: [{ name: 'a', params: {}, execution: { command: 'echo one; printf two' } }] });
    const { code, stdout } = await runCli(['run', ...quickRun, '-c', config, '--tail', '--batches-data-dir', dir]);
    expect(code).toBe(0);
    expect(stdout).toContain('[a] one\n');
    expect(stdout).toContain('[a] two\n');
  });

  it('resumes without re-running succeeded jobs, and re-runs them with --force', async () => {
    const dir = tempDir();
    const count = join(dir, 'count');
    const config = writeBatch(dir, { name: 'again', jobs: [{ name: 'a', params: {}, execution: { command: `${fixturesDir}count-run.sh ${count}` } }] });
    await runCli(['run', ...quickRun, '-c', config, '--batches-data-dir', dir]);
    const second = await runCli(['run', ...quickRun, '-c', config, '--batches-data-dir', dir]);
    expect(second.stdout).toContain('1 already succeeded, 0 to run');
    await runCli(['run', ...quickRun, '-c', config, '--batches-data-dir', dir, '--force']);
    expect(readFileSync(count, 'utf8')).toBe('a\na done\na\na done\n');
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`on ${signal} kills every process of the running jobs, records them and exits 130`, async () => {
      const dir = tempDir();
      const pids = join(dir, 'pids');
      const config = writeBatch(dir, {
        name: 'stop',
        jobs: [
          { name: 'tree', params: {}, execution: { command: `${fixturesDir}spawn-tree.sh ${pids}` } },
          { name: 'next', params: {}, execution: { command: 'true' } },
        ],
      });
      const { child, done } = startCli(['run', ...quickRun, ...quickRun, '-c', config, '--batches-data-dir', dir, '--kill-grace', '2']);
      await waitFor(() => readPids(pids).length === 3, 'the job tree');
      child.kill(signal);
      const { code, stdout, stderr } = await done;
      expect(code).toBe(130);
      expect(stderr).toContain(`${signal}: stopping, killing 1 running job`);
      expect(stdout).toContain('killed tree');
      expect(stdout).toContain('1 not started');
      for (const pid of readPids(pids)) expect(isRunning(pid), `pid ${pid}`).toBe(false);
      const journal = readFileSync(join(dir, 'stop', 'journal.jsonl'), 'utf8');
      expect(journal).toContain('"job":"tree","hash"');
      expect(journal).toMatch(/"job":"tree".*"status":"killed"/);
    });
  }

  it('after kill -9 of the runner, a re-run ends the orphans and completes without re-running succeeded jobs', async () => {
    const dir = tempDir();
    const count = join(dir, 'count');
    const jobs = Array.from({ length: 6 }, (_, i) => ({ name: `j${i}`, params: { i }, execution: { command: `${fixturesDir}count-run.sh ${count} 0.3` } }));
    const config = writeBatch(dir, { name: 'crash', jobs });
    const journal = join(dir, 'crash', 'journal.jsonl');
    const { child, done } = startCli(['run', ...quickRun, ...quickRun, '-c', config, '--batches-data-dir', dir, '--parallelism', '2']);
    await waitFor(() => existsSync(journal) && (readFileSync(journal, 'utf8').match(/"status":"succeed"/g)?.length ?? 0) >= 2, 'two successes');
    child.kill('SIGKILL');
    await done;
    const succeededBefore = [...readFileSync(journal, 'utf8').matchAll(/"job":"(j\d)"[^\n]*"status":"succeed"/g)].map((m) => m[1]!);
    expect(succeededBefore.length).toBeGreaterThanOrEqual(2);

    const again = await runCli(['run', ...quickRun, '-c', config, '--batches-data-dir', dir, '--parallelism', '2', '--json']);
    expect(again.code).toBe(0);
    const summary = JSON.parse(again.stdout) as { counts: { succeed: number; skipped: number } };
    expect(summary.counts.succeed).toBe(6);
    expect(summary.counts.skipped).toBe(succeededBefore.length);
    const starts = readFileSync(count, 'utf8')
      .split('\n')
      .filter((l) => /^j\d$/.test(l));
    for (const name of succeededBefore)
      expect(
        starts.filter((s) => s === name),
        name,
      ).toHaveLength(1);
    for (const job of jobs) expect(starts).toContain(job.name);
  });
});

describe('machines that cannot be used', () => {
  it("prints each machine's reason once, and the run's error points at them", async () => {
    const dir = tempDir();
    const machines = ['127.0.0.1', '127.0.0.2'].map((hostname) => ({ hostname, port: 1, username: 'nobody', password: 'x' }));
    const config = writeBatch(dir, {
      name: 'nowhere',
      backend: { type: 'remote', conf: { machines } },
      jobs: [{ params: { a: 1 }, execution: { command: 'true' } }],
    });
    const { code, stderr } = await runCli(['run', ...quickRun, '-c', config, '--batches-data-dir', dir]);
    expect(code).toBe(1);
    const lines = stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('127.0.0.1 is left out: cannot connect: ECONNREFUSED');
    expect(lines[1]).toBe('127.0.0.2 is left out: cannot connect: ECONNREFUSED');
    expect(lines[2]).toBe("hyperctl: no machine can run jobs (each one's reason is above)");
    // For scripts, the error itself carries every reason.
    const json = await runCli(['run', ...quickRun, '--json', '-c', config, '--batches-data-dir', dir]);
    expect(json.stderr).toMatch(/^hyperctl: no machine can run jobs:\n {2}127\.0\.0\.1 .*ECONNREFUSED\n {2}127\.0\.0\.2 .*ECONNREFUSED\n$/);
  });
});
