import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoDir } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

const bin = (name: string) => join(repoDir, 'node_modules', '.bin', name);

/**
 * The package as npm ships it (the built dist/, packed), installed into a fresh project beside only
 * its own dependencies, and compiled by the TypeScript of `tsc --init`: no types listed, every
 * strict option on, library files checked.
 */
function freshProject(): string {
  const dir = tempDir();
  const packed = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: repoDir, encoding: 'utf8' });
  const { filename } = (JSON.parse(packed) as { filename: string }[])[0]!;
  const installed = join(dir, 'node_modules', 'hyperctl');
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['xzf', join(dir, filename), '-C', installed, '--strip-components=1']);
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  for (const dependency of Object.keys(manifest.dependencies)) {
    mkdirSync(join(dir, 'node_modules', dependency, '..'), { recursive: true });
    symlinkSync(join(repoDir, 'node_modules', dependency), join(dir, 'node_modules', dependency));
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'fresh', private: true, type: 'module' }));
  execFileSync(bin('tsc'), ['--init'], { cwd: dir });
  const config = readFileSync(join(dir, 'tsconfig.json'), 'utf8');
  expect(config).toMatch(/"types": \[\]/);
  writeFileSync(join(dir, 'tsconfig.json'), config.replace('"skipLibCheck": true', '"skipLibCheck": false'));
  return dir;
}

describe('the packed package', () => {
  it('ships its licence, as package.json names it, and its entry points', () => {
    const files = (
      JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--ignore-scripts', '--json'], { cwd: repoDir, encoding: 'utf8' })) as {
        files: { path: string }[];
      }[]
    )[0]!.files.map((file) => file.path);
    for (const file of ['LICENSE', 'package.json', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts', 'dist/job.js', 'dist/cli.js'])
      expect(files).toContain(file);
    const { license } = JSON.parse(readFileSync(join(repoDir, 'package.json'), 'utf8')) as { license: string };
    expect(license).toBe('Apache-2.0');
    expect(readFileSync(join(repoDir, 'LICENSE'), 'utf8')).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
  });

  // Checking Node's own declarations takes tsc a while: on a loaded machine, most of a minute.
  it('compiles in a fresh project as tsc --init makes it, and runs from ESM and CommonJS', { timeout: 180_000 }, () => {
    const dir = freshProject();
    writeFileSync(
      join(dir, 'index.ts'),
      [
        "import { defineBatch, runBatch, openBatch, type BatchResult, type Executor, SshExecutor } from 'hyperctl';",
        "import { getJobParams } from 'hyperctl/job';",
        "const batch = defineBatch({ name: 'fresh', jobs: [{ name: 'a', params: { lr: 0.1 }, execution: { command: 'true' } }] });",
        'const executor: Executor | undefined = undefined as SshExecutor | undefined;',
        'const result: BatchResult = await runBatch(batch, { batchesDataDir: process.argv[2]! });',
        'const best = await openBatch(batch.name!, { batchesDataDir: process.argv[2]! }).info();',
        "console.log(result.status, best.counts.total, typeof getJobParams, executor ?? 'none');",
        '',
      ].join('\n'),
    );
    const compiled = spawnSync(bin('tsc'), ['-p', '.'], { cwd: dir, encoding: 'utf8' });
    expect(compiled.stdout + compiled.stderr).toBe('');
    expect(compiled.status).toBe(0);
    const ran = spawnSync(process.execPath, ['index.js', join(dir, 'data')], { cwd: dir, encoding: 'utf8' });
    expect([ran.stdout, ran.stderr]).toEqual(['succeed 1 function none\n', '']);
    writeFileSync(join(dir, 'old.cjs'), "const { runBatch, HyperctlError } = require('hyperctl'); console.log(typeof runBatch, typeof HyperctlError);\n");
    expect(spawnSync(process.execPath, ['old.cjs'], { cwd: dir, encoding: 'utf8' }).stdout).toBe('function function\n');
    expect(readdirSync(join(dir, 'data'))).toEqual(['fresh']);
  });
});
