import { execFileSync, spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureCommand } from './system.js';

/** Test machines with addresses of their own, on a bridge of this host. */
export interface TestNetwork {
  /** This host's address on the bridge: where a daemon must listen for the machines to reach it. */
  readonly gateway: string;
  readonly hosts: readonly { readonly namespace: string; readonly address: string }[];
  /** Cuts a machine off the bridge, or puts it back. */
  setLink(index: number, up: boolean): void;
  /** Ends every process in the namespaces and removes them and the bridge. */
  remove(): Promise<void>;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Makes `count` network namespaces joined by a bridge, on a /24 of 10.77.0.0/16 that no other
 * test run holds. Needs root and iproute2.
 */
export function createNetwork(count: number): TestNetwork {
  const missing = ensureCommand('ip', 'iproute2');
  if (missing) throw new Error(missing);
  // A /24 of our own: the first whose bridge we manage to create (creating it is the claim).
  let tag = 0;
  for (let attempt = 0; ; attempt++) {
    tag = ((process.pid + attempt * 37) % 200) + 20;
    if (spawnSync('ip', ['link', 'add', `hxbr${tag}`, 'type', 'bridge'], { stdio: 'ignore' }).status === 0) break;
    if (attempt > 200) throw new Error('no free test network: remove stale hxbr* bridges');
  }
  const net = `10.77.${tag}`;
  const bridge = `hxbr${tag}`;
  const hosts = Array.from({ length: count }, (_, i) => ({ namespace: `hx${tag}h${i}`, address: `${net}.${11 + i}`, veth: `hx${tag}v${i}` }));
  ip('addr', 'add', `${net}.1/24`, 'dev', bridge);
  ip('link', 'set', bridge, 'up');
  for (const host of hosts) {
    ip('netns', 'add', host.namespace);
    ip('link', 'add', host.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.namespace);
    ip('link', 'set', host.veth, 'master', bridge, 'up');
    ip('-n', host.namespace, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0');
    ip('-n', host.namespace, 'link', 'set', 'eth0', 'up');
    ip('-n', host.namespace, 'link', 'set', 'lo', 'up');
  }
  return {
    gateway: `${net}.1`,
    hosts: hosts.map(({ namespace, address }) => ({ namespace, address })),
    setLink(index, up) {
      ip('link', 'set', hosts[index]!.veth, up ? 'up' : 'down');
    },
    async remove() {
      for (const host of hosts) {
        const pids = spawnSync('ip', ['netns', 'pids', host.namespace], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
        for (const pid of pids) spawnSync('kill', ['-9', pid]);
        spawnSync('ip', ['netns', 'del', host.namespace]);
      }
      // The veth pairs vanish a moment after their namespaces.
      for (let i = 0; i < 100 && hosts.some((h) => spawnSync('ip', ['link', 'show', h.veth], { stdio: 'ignore' }).status === 0); i++) await sleep(20);
      spawnSync('ip', ['link', 'del', bridge]);
    },
  };
}
