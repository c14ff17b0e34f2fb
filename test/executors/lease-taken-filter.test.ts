import { describe, expect, it } from 'vitest';
import { leaseTakenFilter, leaseTakenLine } from '../../src/executors/ssh/remote-script.js';

/** Runs chunks through a fresh filter: what passes, and whether it saw the line. */
function through(chunks: readonly string[]): { passed: string; taken: boolean } {
  let taken = false;
  const filter = leaseTakenFilter(() => (taken = true));
  return { passed: chunks.map((chunk) => filter(Buffer.from(chunk)).toString()).join(''), taken };
}

describe("a leased remote job's stdout", () => {
  it('loses its first line when that line says the lease was taken, however the chunks fall', () => {
    const text = `${leaseTakenLine}\nepoch 1\nepoch 2\n`;
    for (let cut = 1; cut < text.length; cut++) expect(through([text.slice(0, cut), text.slice(cut)])).toEqual({ passed: 'epoch 1\nepoch 2\n', taken: true });
    expect(through([`${leaseTakenLine}\n`])).toEqual({ passed: '', taken: true });
  });

  it('passes whole when it does not start with that line', () => {
    expect(through(['hello\n', 'world\n'])).toEqual({ passed: 'hello\nworld\n', taken: false });
    expect(through([`x${leaseTakenLine}\n`])).toEqual({ passed: `x${leaseTakenLine}\n`, taken: false });
  });
});
