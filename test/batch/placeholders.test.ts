import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandCommand } from '../../src/batch/placeholders.js';
import { isHyperctlError, runBatch } from '../../src/index.js';
import { tempDir } from '../helpers/tmp.js';

const context = { params: { lr: 0.1, name: 'a b', on: true, opt: { kind: 'adam', beta: [0.9, 0.99] } }, job: 'j1', batch: 'b1' };

describe('placeholders in a command', () => {
  it('put params, the job and the batch into the command, quoted only where the shell needs it', () => {
    expect(expandCommand('train --lr {lr} --name {name} --on {on} --kind {opt.kind} --beta {opt.beta}', context)).toEqual({
      command: `train --lr 0.1 --name 'a b' --on true --kind adam --beta '[0.9,0.99]'`,
    });
    expect(expandCommand('train {args}', context)).toEqual({ command: `train --lr=0.1 '--name=a b' --on=true '--opt={"kind":"adam","beta":[0.9,0.99]}'` });
    expect(expandCommand('train {args_no_hyphens}', { ...context, params: { lr: 0.1, 'model.depth': 3 } })).toEqual({ command: 'train lr=0.1 model.depth=3' });
    expect(expandCommand('run {job} {batch} {data_dir}', context)).toEqual({ command: 'run j1 b1 "$HYPERCTL_JOB_DATA_DIR"' });
  });

  it("leave the shell's braces alone, and take doubled braces as literal ones", () => {
    const shell = `echo \${HOME} {a,b} {1..3} '{"x": 1}' | awk '{print $1}'`;
    expect(expandCommand(shell, context)).toEqual({ command: shell });
    expect(expandCommand('echo {{lr}} }}', context)).toEqual({ command: 'echo {lr} }' });
  });

  it('name a placeholder they cannot fill', () => {
    expect(expandCommand('train --lr {lrr}', context)).toEqual({ unknown: 'lrr' });
    expect(expandCommand('train {opt.gamma}', context)).toEqual({ unknown: 'opt.gamma' });
  });

  it('never let a value become shell syntax, whatever it holds', async () => {
    const root = tempDir();
    const canary = join(root, 'pwned');
    const values = [`$(touch ${canary})`, `; touch ${canary}`, `\`touch ${canary}\``, `it's "quoted"`, 'two\nlines', 'ünïcødé ✓', '*', '', '-n'];
    const jobs = values.map((value, i) => ({ name: `v${i}`, params: { value }, execution: { command: `printf '%s' {value}` } }));
    const result = await runBatch({ name: 'quoted', jobs }, { batchesDataDir: root, parallelism: 3 });
    expect(result.status).toBe('succeed');
    for (const [i, value] of values.entries()) expect(readFileSync(join(root, 'quoted', `v${i}`, 'stdout'), 'utf8')).toBe(value);
    expect(existsSync(canary)).toBe(false);
  });

  it('quote a value for where it stands — bare, in double quotes, in single quotes, in $(…) — through sh and bash', () => {
    const dir = tempDir();
    const canary = join(dir, 'pwned');
    const hostile = [
      `$(touch ${canary})`,
      `\`touch ${canary}\``,
      `"; touch ${canary}; echo "`,
      `'; touch ${canary}; echo '`,
      `\\"$(touch ${canary})`,
      `x[$(touch ${canary})]`,
      'my run',
      `it's "quoted" \\ $HOME`,
      'two\nlines',
      '*',
      '',
      '-n',
    ];
    const contexts: [string, (v: string) => string][] = [
      ['{v}', (v) => v],
      ['"[{v}]"', (v) => `[${v}]`],
      ["'[{v}]'", (v) => `[${v}]`],
      [`"a '{v}' b"`, (v) => `a '${v}' b`],
      [`'a "{v}" b'`, (v) => `a "${v}" b`],
      [`"$(printf '%s' {v})"`, (v) => v],
      [`"$(printf '%s' "<{v}>")"`, (v) => `<${v}>`],
      ['--note="{v}"', (v) => `--note=${v}`],
    ];
    for (const shell of ['sh', 'bash']) {
      for (const [written, expected] of contexts) {
        for (const v of hostile) {
          const expanded = expandCommand(`printf '%s' ${written}`, { params: { v }, job: 'j', batch: 'b' });
          expect(expanded, written).toHaveProperty('command');
          const out = spawnSync(shell, ['-c', (expanded as { command: string }).command], { encoding: 'utf8' });
          expect([out.stdout, out.stderr], `${shell}: ${written} with ${JSON.stringify(v)}`).toEqual([expected(v), '']);
        }
      }
      // {data_dir} and {args} in every context.
      const env = { ...process.env, HYPERCTL_JOB_DATA_DIR: "/tmp/a b'c" };
      for (const [written, expected] of [
        [`printf '%s|' {data_dir} "[{data_dir}]" '[{data_dir}]'`, "/tmp/a b'c|[/tmp/a b'c]|[/tmp/a b'c]|"],
        [`printf '%s|' {args} "{args}" '{args}'`, `--a=x y|--b=$(touch ${canary})|--a=x y --b=$(touch ${canary})|--a=x y --b=$(touch ${canary})|`],
      ]) {
        const expanded = expandCommand(written!, { params: { a: 'x y', b: `$(touch ${canary})` }, job: 'j', batch: 'b' }) as { command: string };
        expect(spawnSync(shell, ['-c', expanded.command], { encoding: 'utf8', env }).stdout).toBe(expected);
      }
    }
    expect(existsSync(canary)).toBe(false);
  });

  it.each([
    ['echo `echo {v}`', '{v} stands inside `…`, where the shell reads text twice: write $(…) instead'],
    ['echo "`echo {v}`"', '{v} stands inside `…`'],
    ['echo $(( {s} * 2 ))', '{s} stands inside $((…)), where bash evaluates a value as code and only a number may stand: this one is not'],
    ["echo $'{v}'", "{v} stands inside $'…'"],
    ['echo "$' + '{X:-{v}}"', '{v} stands inside $' + '{…}'],
    ['echo $' + "{X:-'{v}'}", '{v} stands inside $' + '{…}'],
    ['cat <<EOF\nlr: {v}\nEOF', '{v} stands inside a here-document'],
    ["cat <<-'EOF'\n\tlr: {v}\n\tEOF\necho done", '{v} stands inside a here-document'],
  ])('refuse a placeholder where no value can be quoted: %j', (command, message) => {
    const expanded = expandCommand(command, { params: { v: 1, s: 'a[$(touch x)]' }, job: 'j', batch: 'b' });
    expect(expanded).toEqual({ refused: expect.stringContaining(message) });
  });

  it('put a number into arithmetic as itself', () => {
    expect(expandCommand('echo $(( {n} % 2 )) $(( {f} * {m} ))', { params: { n: 7, f: 1.5e3, m: -2 }, job: 'j', batch: 'b' })).toEqual({
      command: 'echo $(( 7 % 2 )) $(( 1500 * -2 ))',
    });
  });

  it('fill placeholders after a here-document and in a comment as elsewhere', () => {
    expect(expandCommand('cat <<EOF\nplain\nEOF\necho {v} # {v}\n[ {v} ]', { params: { v: 'a b' }, job: 'j', batch: 'b' })).toEqual({
      command: "cat <<EOF\nplain\nEOF\necho 'a b' # 'a b'\n[ 'a b' ]",
    });
    expect(expandCommand('echo $(( 1 + 2 )) {v} `date` "{v}"', { params: { v: 'a b' }, job: 'j', batch: 'b' })).toEqual({
      command: `echo $(( 1 + 2 )) 'a b' \`date\` "a b"`,
    });
  });

  it('refuse a config whose command names a placeholder no job can fill, before anything runs', async () => {
    const root = tempDir();
    const error = await runBatch(
      { name: 'typo', jobs: [{ name: 'a', params: { lr: 0.1 }, execution: { command: 'train --lr {lrr}' } }] },
      { batchesDataDir: root },
    ).catch((e: unknown) => e);
    expect(isHyperctlError(error) && error.code).toBe('E_CONFIG_INVALID');
    expect((error as Error).message).toContain('jobs[0].execution.command: unknown placeholder {lrr} in job "a" (it has {lr}, {args}');
    expect(existsSync(join(root, 'typo'))).toBe(false);
  });
});
