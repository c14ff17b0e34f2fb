import { chmodSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { extract } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { isHyperctlError } from '../../src/index.js';
import { takeSnapshot } from '../../src/upload/snapshot.js';
import { coalesced, tarOf, tarSizeOf } from '../../src/upload/tar-pack.js';
import { uploadFor } from '../../src/upload/upload.js';
import { defaultUploadLimits, type UploadSpec } from '../../src/batch/upload-spec.js';
import { tempDir } from '../helpers/tmp.js';

/** Writes files (path → text) under a new folder. */
function tree(files: Record<string, string>): string {
  const dir = tempDir();
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

function spec(dir: string, extra: Partial<UploadSpec> = {}): UploadSpec {
  return { dir, exclude: [], include: [], ...defaultUploadLimits, keepDays: 14, ...extra };
}

const paths = async (s: UploadSpec) => (await takeSnapshot(s)).entries.map((e) => (e.type === 'directory' ? `${e.path}/` : e.path));

describe('a snapshot of the folder to upload', () => {
  it('leaves out .git, node_modules, .venv and __pycache__ unless asked, and follows .gitignore and .hyperctlignore down the tree', async () => {
    const dir = tree({
      'train.py': 'print(1)',
      'lib/model.py': 'x = 1',
      'lib/model.pyc': '',
      'lib/.gitignore': '*.pyc\n',
      '.git/HEAD': 'ref',
      'node_modules/a/index.js': '',
      '.venv/bin/python': '',
      'lib/__pycache__/model.cpython-311.pyc': '',
      '.gitignore': 'data/raw/\n*.log\n!keep.log\n',
      '.hyperctlignore': 'checkpoints/\n',
      'data/raw/big.bin': 'x',
      'data/small.csv': 'a,b',
      'run.log': '',
      'keep.log': '',
      'checkpoints/last.pt': '',
      'notes/todo.txt': '',
    });
    expect(await paths(spec(dir, { exclude: ['notes/'] }))).toEqual([
      '.gitignore',
      '.hyperctlignore',
      'data/',
      'data/small.csv',
      'keep.log',
      'lib/',
      'lib/.gitignore',
      'lib/model.py',
      'train.py',
    ]);
    expect(await paths(spec(dir, { include: ['.git'] }))).toContain('.git/HEAD');
  });

  it('has the same id for the same tree, another for any change of content, name or mode', async () => {
    const files = { 'a.py': 'one', 'sub/b.py': 'two' };
    const [first, second] = [tree(files), tree(files)];
    const id = (await takeSnapshot(spec(first))).id;
    expect((await takeSnapshot(spec(second))).id).toBe(id);
    writeFileSync(join(second, 'sub/b.py'), 'tw0');
    const changed = (await takeSnapshot(spec(second))).id;
    expect(changed).not.toBe(id);
    chmodSync(join(second, 'a.py'), 0o755);
    expect((await takeSnapshot(spec(second))).id).not.toBe(changed);
  });

  it('keeps links as links, and warns of those that point at absolute paths or out of the tree', async () => {
    const dir = tree({ 'a.py': '' });
    symlinkSync('a.py', join(dir, 'inside'));
    symlinkSync('/etc/hostname', join(dir, 'absolute'));
    symlinkSync('../elsewhere', join(dir, 'outside'));
    const snapshot = await takeSnapshot(spec(dir));
    expect(snapshot.entries.filter((e) => e.type === 'symlink')).toEqual([
      { type: 'symlink', path: 'absolute', target: '/etc/hostname' },
      { type: 'symlink', path: 'inside', target: 'a.py' },
      { type: 'symlink', path: 'outside', target: '../elsewhere' },
    ]);
    expect(snapshot.warnings).toEqual([
      'absolute links to the absolute path /etc/hostname, which may not exist on the machines',
      'outside links to ../elsewhere, outside the uploaded folder',
    ]);
  });

  it('past a limit, says how big the tree is, names its largest folders and how to leave them out', async () => {
    const dir = tree({ 'train.py': 'x', 'data/a.bin': 'x'.repeat(3000), 'data/b.bin': 'x'.repeat(3000), 'src/m.py': 'x'.repeat(100) });
    const error = await takeSnapshot(spec(dir, { maxBytes: 4096 })).catch((e: unknown) => e);
    expect(isHyperctlError(error) && error.code).toBe('E_UPLOAD_TOO_BIG');
    expect((error as Error).message).toBe(
      [
        `the upload of ${dir} holds 0.0 MB in 4 files: more than 0.0 MB (upload.max_mb).`,
        'Its largest folders:',
        '  data/  0.0 MB, 2 files',
        '  src/  0.0 MB, 1 files',
        'Leave folders out with upload.exclude (e.g. exclude: ["data/"]) or a .hyperctlignore, or raise the limit.',
      ].join('\n'),
    );
    const files = await takeSnapshot(spec(dir, { maxFiles: 3 })).catch((e: Error) => e.message);
    expect(files).toContain('more than 3 files (upload.max_files)');
  });

  it('leaves out a batches folder that lies inside the uploaded one', async () => {
    const dir = tree({ 'train.py': '', 'runs/sweep/job/stdout': 'old output', 'runs-notes.txt': '' });
    const upload = uploadFor(join(dir, 'runs', 'sweep'), spec(dir));
    expect((await upload.snapshot()).entries.map((e) => e.path)).toEqual(['runs-notes.txt', 'train.py']);
  });

  it('packs into one tar stream with modes, folders and links', async () => {
    const dir = tree({ 'run.sh': 'echo hi', 'lib/m.py': 'x = 1' });
    chmodSync(join(dir, 'run.sh'), 0o755);
    symlinkSync('lib/m.py', join(dir, 'm.py'));
    const seen: string[] = [];
    const reader = extract();
    reader.on('entry', (header, stream, next) => {
      let body = '';
      stream.on('data', (chunk) => (body += String(chunk)));
      stream.on('end', () => {
        seen.push(`${header.type} ${header.name} ${(header.mode ?? 0).toString(8)} ${header.linkname ?? body}`);
        next();
      });
    });
    const done = new Promise<void>((resolve) => reader.on('finish', () => resolve()));
    tarOf(await takeSnapshot(spec(dir))).pipe(reader);
    await done;
    const lib = (statSync(join(dir, 'lib')).mode & 0o777).toString(8);
    expect(seen).toEqual([`directory lib/ ${lib} `, 'file lib/m.py 644 x = 1', 'symlink m.py 644 lib/m.py', 'file run.sh 755 echo hi']);
  });

  it('knows the size of its tar stream beforehand (for progress), and joins it into large chunks without changing a byte', async () => {
    const dir = tree({ 'a.txt': 'x'.repeat(700), 'lib/b.py': 'y = 2', 'lib/empty': '' });
    const snapshot = await takeSnapshot(spec(dir));
    const whole = async (source: AsyncIterable<unknown>) => {
      const chunks: Buffer[] = [];
      for await (const chunk of source) chunks.push(chunk as Buffer);
      return chunks;
    };
    const chunks = await whole(tarOf(snapshot));
    const plain = Buffer.concat(chunks);
    expect(plain.length).toBe(tarSizeOf(snapshot));
    // The same chunks joined: two streams of one snapshot differ in their headers' times across a second.
    const joined = await whole(
      coalesced(
        (async function* () {
          yield* chunks;
        })(),
        1024,
      ),
    );
    expect(Buffer.concat(joined).equals(plain)).toBe(true);
    expect(joined.slice(0, -1).every((chunk) => chunk.length >= 1024)).toBe(true);
  });
});
