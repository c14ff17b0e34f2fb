import { lstatSync, readFileSync, type Stats, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HashCache } from '../../src/upload/hash-cache.js';
import { takeSnapshot } from '../../src/upload/snapshot.js';
import { defaultUploadLimits } from '../../src/batch/upload-spec.js';
import { tempDir } from '../helpers/tmp.js';

const spec = (dir: string) => ({ dir, exclude: [], include: [], ...defaultUploadLimits, keepDays: 14 });

/** Dates a file back a minute: settled, so the cache remembers it. */
function settle(file: string): void {
  const past = new Date(Date.now() - 60_000);
  utimesSync(file, past, past);
}

describe("an upload's hashes kept between runs", () => {
  it('gives the same snapshot as hashing, remembers settled files only, and notices a change of the same size', async () => {
    const dir = tempDir();
    const cacheFile = join(tempDir(), 'hashes.json');
    writeFileSync(join(dir, 'old.py'), 'a = 1\n');
    writeFileSync(join(dir, 'new.py'), 'b = 2\n');
    settle(join(dir, 'old.py'));
    const plain = await takeSnapshot(spec(dir));
    const cached = await takeSnapshot(spec(dir), HashCache.read(cacheFile));
    expect(cached).toEqual(plain);
    // ctime cannot be set back: a file touched just now is not trusted yet, whatever its mtime.
    expect(Object.keys(JSON.parse(readFileSync(cacheFile, 'utf8')))).toEqual([]);
    // A remembered hash is used as it is, the file unread: the cache is what the snapshot believes.
    const fake = '0'.repeat(64);
    const stat = lstatSync(join(dir, 'old.py'));
    writeFileSync(cacheFile, JSON.stringify({ 'old.py': { key: `${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}:${stat.ino}`, sha256: fake } }));
    const believed = await takeSnapshot(spec(dir), HashCache.read(cacheFile));
    expect(believed.entries.find((e) => e.path === 'old.py')).toMatchObject({ sha256: fake });
    // A rewrite of the same size changes the file's times: it is read again.
    writeFileSync(join(dir, 'old.py'), 'a = 3\n');
    const again = await takeSnapshot(spec(dir), HashCache.read(cacheFile));
    expect(again.entries.find((e) => e.path === 'old.py')).not.toMatchObject({ sha256: fake });
    // Settled files are remembered for the next run.
    const cache = HashCache.read(cacheFile);
    cache.set('old.py', { ...stat, ctimeMs: Date.now() - 60_000 } as Stats, fake);
    cache.save();
    expect(Object.keys(JSON.parse(readFileSync(cacheFile, 'utf8')))).toEqual(['old.py']);
  });

  it('starts empty from a cache file that is missing or broken, and a failed save loses nothing', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.py'), 'x\n');
    const broken = join(tempDir(), 'hashes.json');
    writeFileSync(broken, '{ not json');
    expect((await takeSnapshot(spec(dir), HashCache.read(broken))).files).toBe(1);
    const unwritable = join(tempDir(), 'missing-folder', 'hashes.json');
    expect((await takeSnapshot(spec(dir), HashCache.read(unwritable))).files).toBe(1);
  });
});
