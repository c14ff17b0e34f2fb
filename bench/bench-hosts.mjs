// Test machines for the SSH benchmarks: network namespaces of this machine, each with an sshd of
// its own, a client key the test user accepts, their host keys known, and a one-word ssh wrapper
// whose config keeps one ControlMaster connection per machine (opened here), so that peers that
// start an ssh per transfer or job reuse a connection as hyperctl does. Needs root.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createJiti } from 'jiti';

const jiti = createJiti(import.meta.url);
const { clientHome, makeClientKey, sshUnavailable, startSshd, testUser } = await jiti.import('../test/helpers/sshd.ts');
const { createNetwork } = await jiti.import('../test/helpers/netns.ts');
const { ensureCommand } = await jiti.import('../test/helpers/system.ts');

export { ensureCommand, sshUnavailable, testUser };

/** Starts `count` machines in `dir` (a folder open to the test user); `stop()` ends them all. */
export async function startBenchHosts(dir, count) {
  const network = createNetwork(count);
  const hosts = [];
  try {
    const client = makeClientKey(dir);
    for (const [i, h] of network.hosts.entries())
      hosts.push(await startSshd(join(dir, `host${i}`), { address: h.address, port: 22, authorizedKeys: [client.publicKey], netns: h.namespace }));
    const knownHosts = join(clientHome(join(dir, 'home'), hosts), '.ssh', 'known_hosts');
    const sshConfig = join(dir, 'ssh_config');
    writeFileSync(
      sshConfig,
      [
        'Host *',
        `  User ${testUser.name}`,
        `  IdentityFile ${client.key}`,
        `  UserKnownHostsFile ${knownHosts}`,
        '  StrictHostKeyChecking yes',
        '  ControlMaster auto',
        `  ControlPath ${dir}/cm-%r@%h:%p`,
        '  ControlPersist 120',
        '',
      ].join('\n'),
    );
    const wrapper = join(dir, 'sshw');
    writeFileSync(wrapper, `#!/bin/sh\nexec ssh -F ${sshConfig} "$@"\n`, { mode: 0o755 });
    const addresses = network.hosts.map((h) => h.address);
    // The control masters first, one per machine, so every later ssh multiplexes over them.
    for (const address of addresses) spawnSync(wrapper, [address, 'true'], { stdio: 'ignore' });
    const stop = async () => {
      for (const address of addresses) spawnSync('ssh', ['-F', sshConfig, '-O', 'exit', address], { stdio: 'ignore' });
      await Promise.all(hosts.map((h) => h.stop()));
      await network.remove();
    };
    return { addresses, key: client.key, knownHosts, wrapper, stop };
  } catch (error) {
    await Promise.all(hosts.map((h) => h.stop()));
    await network.remove();
    throw error;
  }
}
