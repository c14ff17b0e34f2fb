import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import stringWidth from 'string-width';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { onTerminal } from '../helpers/terminal.js';
import { waitFor } from '../helpers/processes.js';
import { ensureCommand } from '../helpers/system.js';
import { tempDir } from '../helpers/tmp.js';

beforeAll(() => {
  const missing = ensureCommand('script', 'bsdutils');
  if (missing) throw new Error(missing);
});

/** Each frame of the live block as a terminal shows it: the lines after the last line that stays. */
function frames(text: string): string[][] {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the redraw sequence is what splits the frames
  return text.split(/\r(?:\u001b\[\d+A)?\u001b\[J/).map((frame) => {
    const lines = stripVTControlCharacters(frame).replace(/\r/g, '').split('\n');
    const head = lines.findIndex((l) => /^\d+\/\d+ done/.test(l));
    return head === -1 ? [] : lines.slice(head);
  });
}

describe('run on a terminal', () => {
  it('counts killed jobs as killed, says stopping after batch stop, shows a failed job stderr, and fits every line', async () => {
    const columns = 80;
    const dir = tempDir();
    const gate = join(dir, 'gate');
    const config = join(dir, 'batch.json');
    const waitForGate = `while [ ! -e ${gate} ]; do sleep 0.02; done`;
    const jobs = [
      { name: 'bad', params: {}, execution: { command: 'echo "ValueError: lr must be > 0" >&2; exit 3' } },
      { name: 'victim-with-a-rather-long-name-indeed', params: {}, execution: { command: 'sleep 30' } },
      ...[1, 2, 3, 4].map((i) => ({ name: `waits-for-the-gate-${i}`, params: {}, execution: { command: waitForGate } })),
    ];
    writeFileSync(config, JSON.stringify({ name: 'term', jobs, daemon: { port: 0, exit_on_finish: true } }));
    const run = onTerminal(['run', '-c', config, '-p', '2', '--batches-data-dir', dir, '--kill-grace', '1'], columns);
    const list = async () => JSON.parse((await runCli(['job', 'list', '-b', 'term', '--json', '--batches-data-dir', dir])).stdout || '[]');
    const statusOf = async (job: string) => ((await list()) as { name: string; status: string }[]).find((j) => j.name === job)?.status;
    await waitFor(
      async () => (await statusOf('victim-with-a-rather-long-name-indeed')) === 'running' && (await statusOf('waits-for-the-gate-1')) === 'running',
      'jobs to run',
    );
    expect((await runCli(['job', 'kill', '-b', 'term', '-j', 'victim-with-a-rather-long-name-indeed', '--batches-data-dir', dir])).code).toBe(0);
    await waitFor(async () => (await statusOf('waits-for-the-gate-2')) === 'running', 'the next job to take the freed slot');
    expect((await runCli(['batch', 'stop', 'term', '--batches-data-dir', dir])).code).toBe(0);
    await waitFor(() => run.text().includes('stopping: the batch was stopped'), 'the run to say it stops');
    writeFileSync(gate, '');
    expect(await run.done).toBe(1);

    const shown = frames(run.text()).filter((f) => f.length > 0);
    expect(shown.length).toBeGreaterThan(0);
    for (const frame of shown) for (const line of frame) expect(stringWidth(line), line).toBeLessThan(columns);
    // After the stop, two jobs still run and two will not start: no ETA counts them.
    expect(shown.some(([head]) => /^2\/6 done · 2 running · 1 failed · 1 killed · (?:[\d.]+s|\d+m\d\ds) · stopping · ETA /.test(head!))).toBe(true);
    expect(shown.at(-1)![0]).toMatch(/^4\/6 done · 0 running · 1 failed · 1 killed · (?:[\d.]+s|\d+m\d\ds) · stopping$/);
    const plain = stripVTControlCharacters(run.text()).replace(/\r/g, '');
    expect(plain).toMatch(/failed bad [\d.]+s \(exit code 3\)\n {4}ValueError: lr must be > 0\n/);
    expect(plain).toContain('batch term failed: 2 succeed (0 skipped), 1 failed, 1 killed, 2 not started');
  });
});
