import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { main } from '../../cli/main.js';
import { SignalTrap } from '../../cli/signals.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { badConfigs } from './bad-configs.js';

/** Runs the CLI's `main` in this process on `args`, with what it prints captured. */
async function mainCaptured(args: readonly string[], signals: SignalTrap): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const saved = [process.stdout.write, process.stderr.write] as const;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await main(args, signals), stdout, stderr };
  } finally {
    [process.stdout.write, process.stderr.write] = saved;
  }
}

describe('a corpus of malformed configs', () => {
  const corpus = badConfigs();

  it(`has at least 200 configs (${corpus.length})`, () => {
    expect(corpus.length).toBeGreaterThanOrEqual(200);
  });

  it('refuses every one with exit 2 and a message naming the field, without a stack, writing nothing, each within 10 s', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    const signals = new SignalTrap();
    onTestFinished(() => signals.dispose());
    const failures: string[] = [];
    for (const { file, text, names } of corpus) {
      const path = join(dir, file);
      writeFileSync(path, text);
      const started = Date.now();
      const { code, stdout, stderr } = await mainCaptured(['run', '-c', path, '--port', '0', '--exit-on-finish', '--batches-data-dir', data], signals);
      const took = Date.now() - started;
      const problems = [
        code !== 2 && `exit ${code}`,
        !stderr.includes(names) && `message does not name ${JSON.stringify(names)}`,
        /internal error|\n\s+at /.test(stderr) && 'a stack',
        stdout !== '' && 'output on stdout',
        existsSync(data) && readdirSync(data).length > 0 && 'something written',
        took > 10_000 && `${took} ms`,
      ].filter(Boolean);
      if (problems.length > 0) failures.push(`${file}: ${problems.join(', ')}\n    ${stderr.trim().slice(0, 300)}`);
      rmSync(data, { recursive: true, force: true });
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it('gives the same answers through the built CLI', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    // A sample across the corpus: the CLI process adds its start-up and its exit code, nothing else.
    const sample = corpus.filter((_, i) => i % Math.ceil(corpus.length / 12) === 0);
    for (const { file, text, names } of sample) {
      writeFileSync(join(dir, file), text);
      const { code, stderr } = await runCli(['run', '-c', join(dir, file), '--port', '0', '--batches-data-dir', data]);
      expect(code, file).toBe(2);
      expect(stderr, file).toContain(names);
      expect(existsSync(data), file).toBe(false);
    }
  }, 60_000);
});
