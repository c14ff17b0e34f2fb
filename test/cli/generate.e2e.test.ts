import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const template = 'name: grid\nparams:\n  learning_rate: [0.1, 0.2]\n  max_depth: [3, 5]\nexecution:\n  command: python3 main.py\nresource:\n  cpu: 2\n';

describe('hyperctl generate', () => {
  it('writes JSON with one job per combination and the template keys carried over', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 't.yml'), template);
    const { code } = await runCli(['generate', '-t', 't.yml', '-o', 'out/batch.json'], { cwd: dir });
    expect(code).toBe(0);
    const batch = JSON.parse(readFileSync(join(dir, 'out', 'batch.json'), 'utf8'));
    expect(batch.name).toBe('grid');
    expect(batch.jobs).toHaveLength(4);
    expect(batch.jobs[1]).toEqual({
      name: 'learning_rate=0.1,max_depth=5',
      params: { learning_rate: 0.1, max_depth: 5 },
      resource: { cpu: 2 },
      execution: { command: 'python3 main.py' },
    });
  });

  it('carries job_defaults and halt over, in JSON and YAML alike, as generateBatch() does', async () => {
    const dir = tempDir();
    const extra = { job_defaults: { timeout: 60, retries: 2, retry_on: ['failed'] }, halt: { fail: '10%', when: 'now' }, daemon: { port: 0 } };
    writeFileSync(join(dir, 't.json'), JSON.stringify({ params: { a: [1, 2] }, execution: { command: 'true' }, ...extra }));
    for (const out of ['b.json', 'b.yaml']) {
      expect((await runCli(['generate', '-t', 't.json', '-o', out], { cwd: dir })).code).toBe(0);
      expect(parse(readFileSync(join(dir, out), 'utf8'))).toMatchObject(extra);
    }
  });

  it('keeps placeholders in the generated batch, filled in for each job when it runs', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 't.yml'), "name: ph\nparams:\n  lr: [0.1, 'a b']\nexecution:\n  command: echo {lr} {args} {job}\n");
    expect((await runCli(['generate', '-t', 't.yml', '-o', 'b.json'], { cwd: dir })).code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'b.json'), 'utf8')).jobs[0].execution.command).toBe('echo {lr} {args} {job}');
    const run = await runCli(['run', '-c', 'b.json', '--exit-on-finish', '--port', '0', '--batches-data-dir', join(dir, 'data')], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    const outputs = readdirSync(join(dir, 'data', 'ph'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => readFileSync(join(dir, 'data', 'ph', d.name, 'stdout'), 'utf8'));
    expect(outputs.sort()).toEqual(['0.1 --lr=0.1 lr=0.1\n', expect.stringMatching(/^a b --lr=a b job-\w+\n$/)].sort());
  });

  it('writes YAML when the output ends in .yaml, and reads a JSON template', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 't.json'), JSON.stringify({ params: { a: [1, 2] }, execution: { command: 'true' } }));
    const { code, stdout } = await runCli(['generate', '-t', 't.json', '-o', 'b.yaml', '--json'], { cwd: dir });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ output: join(dir, 'b.yaml'), jobs: 2, dialect: 'hyperctl' });
    expect(parse(readFileSync(join(dir, 'b.yaml'), 'utf8')).jobs.map((j: { name: string }) => j.name)).toEqual(['a=1', 'a=2']);
  });

  it('refuses to overwrite an existing output without --force', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 't.yml'), template);
    writeFileSync(join(dir, 'batch.json'), 'keep me');
    const refused = await runCli(['generate', '-t', 't.yml'], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('batch.json exists; pass --force to overwrite it');
    expect(readFileSync(join(dir, 'batch.json'), 'utf8')).toBe('keep me');
    expect((await runCli(['generate', '-t', 't.yml', '--force'], { cwd: dir })).code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'batch.json'), 'utf8')).jobs).toHaveLength(4);
  });

  it('exits 2 on a template whose params are not lists, writing nothing', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 't.yml'), 'params:\n  lr: 0.1\nexecution:\n  command: x\n');
    const { code, stderr } = await runCli(['generate', '-t', 't.yml', '-o', 'b.json'], { cwd: dir });
    expect(code).toBe(2);
    expect(stderr).toBe('hyperctl: t.yml: params.lr: expected a list of values, got 0.1 (number)\n');
    expect(readdirSync(dir)).toEqual(['t.yml']);
  });

  it('exits 2 without --template, and on an output that is not JSON or YAML', async () => {
    const dir = tempDir();
    expect((await runCli(['generate'], { cwd: dir })).code).toBe(2);
    writeFileSync(join(dir, 't.yml'), template);
    const bad = await runCli(['generate', '-t', 't.yml', '-o', 'b.txt'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(existsSync(join(dir, 'b.txt'))).toBe(false);
  });
});

describe('hyperctl generate, YAML', () => {
  it('writes every job whole, without anchors and aliases, so editing one job edits only it', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 't.yml'), template);
    expect((await runCli(['generate', '-t', 't.yml', '-o', 'b.yaml'], { cwd: dir })).code).toBe(0);
    const text = readFileSync(join(dir, 'b.yaml'), 'utf8');
    expect(text).not.toMatch(/[&*]a\d/);
    expect(parse(text).jobs[3].execution).toEqual({ command: 'python3 main.py' });
  });
});
