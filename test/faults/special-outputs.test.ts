import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BatchConfig } from '../../src/index.js';
import { runCli } from '../helpers/cli.js';
import { testUser, useSharedSshd } from '../helpers/sshd.js';
import { tempDir } from '../helpers/tmp.js';

// Outputs on a remote machine that are no plain files: a job (or whoever can write its folder)
// decides what its outputs are, and a link to /dev/zero or a FIFO must not hang the run.

const sshd = useSharedSshd('hyperctl-special-');
const machineDirs: string[] = [];
afterAll(() => {
  for (const dir of machineDirs) rmSync(dir, { recursive: true, force: true });
});

describe('outputs that are links, FIFOs and hard links on an SSH machine', () => {
  it('brings every regular file back whole, hard-linked or not, skips the rest and says so, and never hangs', async ({ skip }) => {
    if (sshd.skipReason) return skip(sshd.skipReason);
    const name = `hyperctl-special-${randomBytes(4).toString('hex')}`;
    machineDirs.push(`/home/${testUser.name}/${name}`);
    const dir = tempDir();
    const command = [
      'mkdir out && cd out',
      'printf whole > a',
      'ln a b',
      'ln -s /dev/zero zero',
      'mkfifo fifo',
      'ln -s a soft',
      `python3 -c "import socket; socket.socket(socket.AF_UNIX).bind('sock')"`,
    ].join('; ');
    const config: BatchConfig = {
      name: 'special',
      jobs: [{ name: 'j', params: {}, execution: { command, outputs: ['out/**'] } }],
      backend: {
        type: 'remote',
        conf: {
          machines: [{ hostname: sshd.host.address, port: sshd.host.port, username: testUser.name, ssh_rsa_file: sshd.key, data_dir: `~/${name}` }],
          known_hosts_file: sshd.knownHosts,
        },
      },
    };
    const file = join(dir, 'special.json');
    writeFileSync(file, JSON.stringify(config));
    const data = join(dir, 'data');
    const run = await runCli(['run', '--exit-on-finish', '--port', '0', '-c', file, '--batches-data-dir', data]);
    expect(run.code, run.stderr).toBe(0);
    const jobDir = join(data, 'special', 'j');
    expect(readFileSync(join(jobDir, 'out', 'a'), 'utf8')).toBe('whole');
    expect(readFileSync(join(jobDir, 'out', 'b'), 'utf8')).toBe('whole');
    expect(readdirSync(join(jobDir, 'out')).sort()).toEqual(['a', 'b']);
    const stderr = readFileSync(join(jobDir, 'stderr'), 'utf8');
    for (const skipped of ['zero', 'fifo', 'soft', 'sock']) expect(stderr).toContain(`hyperctl: output "out/${skipped}" skipped: not a regular file`);
    expect(`${run.stdout}${run.stderr}`).toMatch(/outputs 2 files, 0\.0 MB in \S+, 4 skipped \(not regular files: see the jobs' stderr\)/);

    // Fetched again later by name: a link is said skipped, not printed as if it came.
    const fetched = await runCli(['job', 'fetch', '-b', 'special', '-j', 'j', '--batches-data-dir', data, 'out/soft', 'out/b']);
    expect(fetched.code, fetched.stderr).toBe(0);
    expect(fetched.stdout).toBe('out/b\n');
    expect(fetched.stderr).toContain('hyperctl: output "out/soft" skipped: not a regular file');
  });
});
