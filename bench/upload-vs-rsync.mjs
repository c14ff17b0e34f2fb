// Sending a project to three test machines (network namespaces with their own sshd): hyperctl's
// upload (a content-addressed snapshot, one tar stream over the machine's SSH connection) against
// `rsync -a` over ssh (with a ControlMaster per machine, opened beforehand), both to the three
// machines at once, in the same run: a first upload of a 50 MB tree of 5,000 files, the same tree
// again, and the tree with one file changed. Each machine gets a folder of its own in memory (a
// tmpfs: a cloud disk's speed varies with what was written before, which would decide more than
// either tool). The whole sequence runs several rounds into fresh folders, alternating who goes
// first, after a round that is not counted; medians are shown. hyperctl's figure is its slowest machine's
// upload time as its run reports it; rsync's the wall time of the three. Needs root.
// Usage: npm run build && node bench/upload-vs-rsync.mjs [files] [MB] [rounds]   (default: 5000 50 5)
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCommand, sshUnavailable, startBenchHosts, testUser } from './bench-hosts.mjs';
import { runArgs } from './timed.mjs';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const fileCount = Number(process.argv[2] ?? 5000);
const megabytes = Number(process.argv[3] ?? 50);
const rounds = Number(process.argv[4] ?? 5);

const unavailable = sshUnavailable() ?? ensureCommand('rsync', 'rsync');
if (unavailable) {
  console.error(unavailable);
  process.exit(1);
}

/** Runs a command; resolves with its wall time in ms and its stdout. */
function run(command, args) {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('close', (code) =>
      code === 0 ? resolve({ ms: performance.now() - start, out }) : reject(new Error(`${command} ${args.join(' ')} exited ${code}`)),
    );
  });
}

const dir = mkdtempSync(join(tmpdir(), 'hyperctl-bench-'));
chmodSync(dir, 0o755);
// The machines write into memory, in a folder the test user owns.
const landing = mkdtempSync('/dev/shm/hyperctl-bench-');
spawnSync('chown', [testUser.name, landing]);
const machinesUp = await startBenchHosts(dir, 3);
try {
  const { addresses, key, knownHosts, wrapper } = machinesUp;
  // The tree: files of random bytes (no compression helps either side), 100 to a folder.
  const tree = join(dir, 'project');
  const size = Math.round((megabytes * 1024 * 1024) / fileCount);
  for (let i = 0; i < fileCount; i++) {
    const folder = join(tree, `pkg${Math.floor(i / 100)}`);
    if (i % 100 === 0) mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `f${i}.bin`), randomBytes(size));
  }
  chmodSync(dir, 0o755);

  const median = (values) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];
  const rows = new Map();
  for (let round = -1; round < rounds; round++) {
    const tag = `${Date.now()}`;
    const machines = addresses.map((address, i) => ({ hostname: address, username: testUser.name, ssh_rsa_file: key, data_dir: `${landing}/${tag}-h${i}` }));
    const hyperctl = async (what) => {
      const name = `upload-${tag}-${what.replaceAll(' ', '-')}`;
      const jobs = machines.map((_, i) => ({ name: `j${i}`, params: { i }, execution: { command: 'true' } }));
      const config = join(dir, `${name}.json`);
      writeFileSync(
        config,
        JSON.stringify({ name, jobs, backend: { type: 'remote', conf: { machines, known_hosts_file: knownHosts, upload: { dir: tree, max_mb: 1000 } } } }),
      );
      const { ms, out } = await run(process.execPath, runArgs(cli, config, join(dir, 'data')));
      const transfers = JSON.parse(out).transfers;
      return { slowest: Math.max(...transfers.map((t) => t.upload.ms)), sent: transfers.every((t) => t.upload.sent), wall: ms };
    };
    const rsync = async () => {
      const start = performance.now();
      await Promise.all(addresses.map((address, i) => run('rsync', ['-a', '-e', wrapper, `${tree}/`, `${address}:${landing}/${tag}-rsync${i}/`])));
      return performance.now() - start;
    };
    // Each side starts with the disk's earlier writes flushed, so neither pays for what came before.
    const flushed = (measured) => {
      spawnSync('sync');
      return measured();
    };
    const measure = async (what) => {
      const ours = round % 2 !== 0 ? await flushed(() => hyperctl(what)) : undefined;
      const theirs = await flushed(rsync);
      const row = { ...(ours ?? (await flushed(() => hyperctl(what)))), theirs };
      if (round >= 0) rows.set(what, [...(rows.get(what) ?? []), row]);
    };
    await measure('first upload');
    await measure('unchanged tree');
    writeFileSync(join(tree, 'pkg0', 'f0.bin'), randomBytes(size));
    await measure('one file changed');
    spawnSync('sh', ['-c', `rm -rf ${landing}/${tag}-*`]);
  }

  const version = spawnSync('rsync', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
  console.log(`node ${process.version}, ${version}; ${fileCount} files, ${megabytes} MB, to 3 machines at once; medians of ${rounds} rounds`);
  console.log('| | hyperctl upload (slowest machine) | rsync -a (all three) | ratio | hyperctl run, whole |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [what, all] of rows) {
    const [ours, theirs] = [median(all.map((r) => r.slowest)), median(all.map((r) => r.theirs))];
    const sent = all.every((r) => r.sent) ? '' : all.some((r) => r.sent) ? ' (sometimes sent)' : ' (not sent)';
    console.log(
      `| ${what} | ${ours.toFixed(0)} ms${sent} | ${theirs.toFixed(0)} ms | ${(ours / theirs).toFixed(2)} | ${median(all.map((r) => r.wall)).toFixed(0)} ms |`,
    );
  }
} finally {
  await machinesUp.stop();
  rmSync(landing, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
}
