import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isHyperctlError, openBatch, runBatch, type BatchConfig, type BatchEvent, type JobConfig, type UploadConfig } from '../../src/index.js';
import { runCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/processes.js';
import { freePort, startSshd, testUser, type TestHost, useSharedSshd } from '../helpers/sshd.js';
import { tempDir } from '../helpers/tmp.js';

const sshd = useSharedSshd('hyperctl-upload-');

/** Folders the tests had the machine make (the test sshd's machine is this one). */
const machineDirs: string[] = [];

afterAll(async () => {
  for (const dir of machineDirs) rmSync(dir, { recursive: true, force: true });
});

/** A folder on the machine of its own for each test. */
function remoteDir(): { written: string; local: string } {
  const name = `hyperctl-upload-${randomBytes(4).toString('hex')}`;
  machineDirs.push(`/home/${testUser.name}/${name}`);
  return { written: `~/${name}`, local: `/home/${testUser.name}/${name}` };
}

function batch(
  name: string,
  jobs: JobConfig[],
  upload: UploadConfig,
  machineDir: string,
  extra: Record<string, unknown> = {},
  on: TestHost = sshd.host,
): BatchConfig {
  return {
    name,
    jobs,
    backend: {
      type: 'remote',
      conf: {
        machines: [{ hostname: on.address, port: on.port, username: testUser.name, ssh_rsa_file: sshd.key, data_dir: machineDir, slots: 4 }],
        known_hosts_file: sshd.knownHosts,
        upload,
        ...extra,
      },
    },
  };
}

/** A project folder: a module the job imports, data it must not get, a .gitignore. */
function project(): string {
  const dir = tempDir();
  mkdirSync(join(dir, 'lib'), { recursive: true });
  mkdirSync(join(dir, 'data/raw'), { recursive: true });
  mkdirSync(join(dir, '.git'), { recursive: true });
  writeFileSync(join(dir, 'lib/model.py'), 'def size(n):\n    return bytes((i * 7) % 256 for i in range(n))\n');
  writeFileSync(
    join(dir, 'train.py'),
    'import os, sys\nsys.path.insert(0, "lib")\nfrom model import size\nos.makedirs("out", exist_ok=True)\nopen("out/weights.bin", "wb").write(size(int(sys.argv[1])))\nprint("raw data here:", os.path.exists("data/raw/big.bin"), "git here:", os.path.exists(".git"))\n',
  );
  writeFileSync(join(dir, 'data/raw/big.bin'), 'x'.repeat(1000));
  writeFileSync(join(dir, '.git/HEAD'), 'ref: refs/heads/main\n');
  writeFileSync(join(dir, '.gitignore'), 'data/raw/\n');
  return dir;
}

const weights = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7) % 256));

describe('uploading the code to the machines and bringing outputs back', () => {
  it('runs jobs in views of the uploaded tree, brings their outputs back byte-exact, says which output is missing, and fetches more later', async ({
    skip,
  }) => {
    if (sshd.skipReason) return skip(sshd.skipReason);
    const root = tempDir();
    const dir = project();
    const machine = remoteDir();
    const events: BatchEvent[] = [];
    const jobs = [300, 70_000].map((n) => ({
      name: `n${n}`,
      params: { n },
      execution: { command: `python3 train.py ${n}`, outputs: ['out/*.bin', 'missing.txt'] },
    }));
    const result = await runBatch(batch('up', jobs, { dir }, machine.written), { batchesDataDir: root, onEvent: (e) => events.push(e) });
    expect(result.status).toBe('succeed');
    for (const n of [300, 70_000]) {
      expect(readFileSync(join(root, 'up', `n${n}`, 'out', 'weights.bin')).equals(weights(n))).toBe(true);
      // Ignored by .gitignore, and .git by default: neither reached the machine.
      expect(readFileSync(join(root, 'up', `n${n}`, 'stdout'), 'utf8')).toBe('raw data here: False git here: False\n');
      expect(readFileSync(join(root, 'up', `n${n}`, 'stderr'), 'utf8')).toMatch(/^hyperctl: no file matched the output "missing.txt" in \S+\/work\n$/);
    }
    const upload = events.find((e) => e.type === 'host:upload');
    expect(upload).toMatchObject({ type: 'host:upload', host: '127.0.0.1', sent: true });
    // Progress came before it: bytes of the tar stream sent so far, of its whole.
    const progress = events.filter((e) => e.type === 'host:upload-progress');
    expect(progress.length).toBeGreaterThan(0);
    for (const p of progress) expect(p).toMatchObject({ host: '127.0.0.1', sent: expect.any(Number), total: expect.any(Number) });
    expect(progress.every((p) => p.type === 'host:upload-progress' && p.sent > 0 && p.sent <= p.total)).toBe(true);
    expect(events.indexOf(progress.at(-1)!)).toBeLessThan(events.indexOf(upload!));
    // The result says what moved, per machine: the upload, and the two outputs of 70,300 bytes.
    expect(result.transfers).toMatchObject([{ host: '127.0.0.1', upload: { sent: true }, outputs: { files: 2, bytes: 70_300 } }]);
    // More files later: the SDK's fetch and the CLI's `job fetch`, from the job's view on the machine.
    const fetched = await openBatch('up', { batchesDataDir: root }).fetch('n300', ['lib/*.py']);
    expect(fetched).toEqual({ files: ['lib/model.py'], bytes: 63, notes: [] });
    expect(readFileSync(join(root, 'up', 'n300', 'lib', 'model.py'), 'utf8')).toBe(readFileSync(join(dir, 'lib', 'model.py'), 'utf8'));
    const cli = await runCli(['job', 'fetch', '-b', 'up', '-j', 'n70000', '--batches-data-dir', root, 'train.py', 'nothing/*']);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toBe('train.py\n');
    expect(cli.stderr).toMatch(/^hyperctl: no file matched the output "nothing\/\*" in \S+\n$/);
    expect(readFileSync(join(root, 'up', 'n70000', 'train.py'), 'utf8')).toBe(readFileSync(join(dir, 'train.py'), 'utf8'));
    // Each job wrote in a view of its own: the snapshot itself has no outputs.
    const snapshots = join(machine.local, '.snapshots');
    const [link] = readdirSync(snapshots).filter((name) => !name.startsWith('.'));
    expect(readdirSync(join(snapshots, link!)).sort()).toEqual(['.gitignore', 'data', 'lib', 'train.py']);
    expect(readdirSync(join(snapshots, link!, 'data'))).toEqual([]);
  });

  it('sends an unchanged tree once, a changed one again, and removes snapshots unused for keep_days and uploads that never finished', async ({ skip }) => {
    if (sshd.skipReason) return skip(sshd.skipReason);
    const root = tempDir();
    const dir = project();
    const machine = remoteDir();
    const job = [{ name: 'j', params: {}, execution: { command: 'test -f train.py' } }];
    const uploads = async (name: string) => {
      const events: BatchEvent[] = [];
      const result = await runBatch(batch(name, job, { dir }, machine.written), { batchesDataDir: root, onEvent: (e) => events.push(e) });
      expect(result.status).toBe('succeed');
      return events.filter((e) => e.type === 'host:upload');
    };
    expect(await uploads('first')).toMatchObject([{ sent: true }]);
    expect(await uploads('second')).toMatchObject([{ sent: false, bytes: 0 }]);
    writeFileSync(join(dir, 'lib/model.py'), '# changed\n');
    expect(await uploads('third')).toMatchObject([{ sent: true }]);
    const snapshots = join(machine.local, '.snapshots');
    const published = () => readdirSync(snapshots).filter((name) => !name.startsWith('.'));
    expect(published().length).toBe(2);
    // A snapshot unused for three weeks, and a folder of an upload that never finished: the next run removes both (in the background, after its answer).
    mkdirSync(join(snapshots, '.incoming.old'));
    symlinkSync('.incoming.old', join(snapshots, 'a'.repeat(32)));
    mkdirSync(join(snapshots, '.incoming.broken'));
    execFileSync('chown', ['-R', `${testUser.name}:`, snapshots]);
    execFileSync('touch', ['-h', '-d', '21 days ago', join(snapshots, 'a'.repeat(32))]);
    execFileSync('touch', ['-d', '2 days ago', join(snapshots, '.incoming.broken')]);
    expect(await uploads('fourth')).toMatchObject([{ sent: false }]);
    await waitFor(
      () => !existsSync(join(snapshots, '.incoming.old')) && !existsSync(join(snapshots, '.incoming.broken')),
      'the old snapshot and the unfinished upload to be removed',
    );
    expect(published().length).toBe(2);
  });

  it('shares one snapshot between two batches that upload the same tree at once', async ({ skip }) => {
    if (sshd.skipReason) return skip(sshd.skipReason);
    const root = tempDir();
    const dir = project();
    const machine = remoteDir();
    const job = [{ name: 'j', params: {}, execution: { command: 'python3 train.py 10', outputs: ['out/weights.bin'] } }];
    const results = await Promise.all(['a', 'b'].map((name) => runBatch(batch(name, job, { dir }, machine.written), { batchesDataDir: root })));
    expect(results.map((r) => r.status)).toEqual(['succeed', 'succeed']);
    const snapshots = readdirSync(join(machine.local, '.snapshots'));
    // One published tree, whole; a copy the other batch may have received at the same time was dropped.
    const published = snapshots.filter((name) => !name.startsWith('.'));
    expect(published.length).toBe(1);
    expect(snapshots.filter((name) => name.startsWith('.incoming.')).length).toBe(1);
    expect(readdirSync(join(machine.local, '.snapshots', published[0]!)).sort()).toEqual(['.gitignore', 'data', 'lib', 'train.py']);
    for (const name of ['a', 'b']) expect(readFileSync(join(root, name, 'j', 'out', 'weights.bin')).equals(weights(10))).toBe(true);
  });

  it('removes a job folder on the machine after success with cleanup: on_success, and keeps a failed one', async ({ skip }) => {
    if (sshd.skipReason) return skip(sshd.skipReason);
    const root = tempDir();
    const dir = project();
    const machine = remoteDir();
    const jobs = [
      { name: 'ok', params: {}, execution: { command: 'python3 train.py 5', outputs: ['out/weights.bin'] } },
      { name: 'bad', params: {}, execution: { command: 'python3 train.py 5; exit 1', outputs: ['out/weights.bin'] } },
    ];
    const result = await runBatch(batch('tidy', jobs, { dir }, machine.written, { cleanup: 'on_success' }), { batchesDataDir: root });
    expect(result.jobs.map((j) => [j.name, j.status])).toEqual([
      ['ok', 'succeed'],
      ['bad', 'failed'],
    ]);
    expect(existsSync(join(machine.local, 'tidy', 'ok'))).toBe(false);
    expect(existsSync(join(machine.local, 'tidy', 'bad', 'work', 'out', 'weights.bin'))).toBe(true);
    // A failed job's outputs come back too.
    expect(readFileSync(join(root, 'tidy', 'bad', 'out', 'weights.bin')).equals(weights(5))).toBe(true);
  });

  it('sends the tree and brings outputs back on a machine without tar, with sh and cat', async ({ skip }) => {
    if (sshd.skipReason) return skip(sshd.skipReason);
    // A machine whose sessions find every usual command but tar.
    const bin = join(sshd.shared, 'no-tar-bin');
    mkdirSync(bin, { recursive: true });
    chmodSync(sshd.shared, 0o755);
    for (const name of [
      'sh',
      'cat',
      'chmod',
      'mkdir',
      'mktemp',
      'ln',
      'rm',
      'rmdir',
      'dirname',
      'basename',
      'sleep',
      'touch',
      'find',
      'readlink',
      'cp',
      'wc',
      'tr',
      'setsid',
      'printf',
      'echo',
      'head',
    ])
      symlinkSync(execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim(), join(bin, name));
    const bare = await startSshd(join(sshd.shared, 'sshd-no-tar'), {
      address: '127.0.0.1',
      port: await freePort(),
      authorizedKeys: [sshd.publicKey],
      path: bin,
    });
    try {
      const root = tempDir();
      const dir = project();
      writeFileSync(join(dir, 'run.sh'), 'mkdir -p out && cat lib/model.py lib/model.py > out/twice.txt && command -v tar || echo no tar here\n');
      chmodSync(join(dir, 'run.sh'), 0o755);
      const machine = remoteDir();
      const jobs = [{ name: 'j', params: {}, execution: { command: './run.sh', outputs: ['out/*'] } }];
      const config = batch('bare', jobs, { dir }, machine.written, { host_key_checking: 'accept-new' }, bare);
      const events: BatchEvent[] = [];
      const result = await runBatch(config, { batchesDataDir: root, onEvent: (e) => events.push(e) });
      expect(result.status, readFileSync(join(root, 'bare', 'j', 'stderr'), 'utf8')).toBe('succeed');
      expect(readFileSync(join(root, 'bare', 'j', 'stdout'), 'utf8')).toBe('no tar here\n');
      const model = readFileSync(join(dir, 'lib/model.py'), 'utf8');
      expect(readFileSync(join(root, 'bare', 'j', 'out', 'twice.txt'), 'utf8')).toBe(model + model);
      expect(events.find((e) => e.type === 'host:upload')).toMatchObject({ sent: true });
    } finally {
      await bare.stop();
    }
  });

  it('refuses a tree past its limits before anything is sent, naming the largest folders', async ({ skip }) => {
    if (sshd.skipReason) return skip(sshd.skipReason);
    const root = tempDir();
    const dir = project();
    mkdirSync(join(dir, 'datasets'));
    writeFileSync(join(dir, 'datasets/train.csv'), 'x'.repeat(200_000));
    const machine = remoteDir();
    const error = await runBatch(batch('big', [{ name: 'j', params: {}, execution: { command: 'true' } }], { dir, max_mb: 0.1 }, machine.written), {
      batchesDataDir: root,
    }).catch((e: unknown) => e);
    expect(isHyperctlError(error) && error.code).toBe('E_UPLOAD_TOO_BIG');
    expect((error as Error).message).toContain('  datasets/  0.2 MB, 1 files');
    expect((error as Error).message).toContain('exclude: ["datasets/"]');
    expect(existsSync(machine.local)).toBe(false);
    expect(existsSync(join(root, 'big'))).toBe(false);
  });
});
