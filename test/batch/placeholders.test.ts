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
