import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Spool } from '../../src/upload/spool.js';
import { tempDir } from '../helpers/tmp.js';

/** A source whose chunks are let out one by one, when the test says. */
function gated() {
  const waiting: ((chunk: Buffer | null) => void)[] = [];
  const queued: (Buffer | null)[] = [];
  const next = () => new Promise<Buffer | null>((resolve) => (queued.length > 0 ? resolve(queued.shift()!) : waiting.push(resolve)));
  return {
    give: (chunk: Buffer | null) => (waiting.length > 0 ? waiting.shift()!(chunk) : queued.push(chunk)),
    async *source() {
      for (let chunk = await next(); chunk; chunk = await next()) yield chunk;
    },
  };
}

async function all(source: AsyncIterable<Buffer>): Promise<string> {
  let text = '';
  for await (const chunk of source) text += chunk.toString();
  return text;
}

describe('a spool: bytes written once, read by many while they are written', () => {
  it('gives every reader all the bytes from the start, whenever it comes, and leaves no file behind', async () => {
    const path = join(tempDir(), 'archive.tar');
    const input = gated();
    const spool = new Spool(path, input.source());
    let readSome!: () => void;
    const someRead = new Promise<void>((resolve) => (readSome = resolve));
    const early = all(spool.read((bytes) => bytes === 6 && readSome()));
    input.give(Buffer.from('hello '));
    // A reader that comes once some bytes were written and read still starts at the first byte.
    await someRead;
    const seen: number[] = [];
    const late = all(spool.read((bytes) => seen.push(bytes)));
    input.give(Buffer.from('world'));
    input.give(null);
    expect(await early).toBe('hello world');
    expect(await late).toBe('hello world');
    expect(seen.at(-1)).toBe(11);
    expect(await all(spool.read())).toBe('hello world');
    expect(existsSync(path)).toBe(false);
    await spool.close();
  });

  it('fails its readers with what failed the writing', async () => {
    const input = gated();
    const spool = new Spool(join(tempDir(), 'archive.tar'), input.source());
    const reading = all(spool.read());
    input.give(Buffer.from('part'));
    const broken = (async function* () {
      yield Buffer.from('x');
      throw new Error('the tree changed while it was being sent');
    })();
    const other = new Spool(join(tempDir(), 'other.tar'), broken);
    await expect(all(other.read())).rejects.toThrow('the tree changed');
    input.give(null);
    expect(await reading).toBe('part');
    await Promise.all([spool.close(), other.close()]);
  });

  it('refuses a path that exists: it never writes through a file or link someone left there', async () => {
    const dir = tempDir();
    const target = join(dir, 'target');
    writeFileSync(target, 'keep');
    symlinkSync(target, join(dir, 'link.tar'));
    for (const path of [target, join(dir, 'link.tar')]) {
      const spool = new Spool(
        path,
        (async function* () {
          yield Buffer.from('x');
        })(),
      );
      await expect(all(spool.read())).rejects.toThrow(/EEXIST/);
      await spool.close();
    }
    expect(readFileSync(target, 'utf8')).toBe('keep');
  });
});
