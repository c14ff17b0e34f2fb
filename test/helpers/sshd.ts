import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll } from 'vitest';
import { ensureCommand, rootUnavailable } from './system.js';
import { ensureTestUser, testUser } from './users.js';

export { testUser } from './users.js';

/**
 * Why SSH tests cannot run here, or undefined when they can: they need root (a test user, sshd's
 * privilege separation) and OpenSSH's server, installed when missing. Under `CI=true` a missing
 * piece fails instead of skipping.
 */
export function sshUnavailable(): string | undefined {
  const missing =
    rootUnavailable('SSH tests need root (they add a test user and start sshd)') ??
    ensureCommand('/usr/sbin/sshd', 'openssh-server') ??
    ensureCommand('ssh-keygen', 'openssh-client') ??
    ensureCommand('ps', 'procps');
  if (missing) return missing;
  const user = ensureTestUser();
  if (typeof user === 'string') return user;
  mkdirSync('/run/sshd', { recursive: true });
  return undefined;
}

/** A client key pair for the test user, in `dir`. */
export function makeClientKey(dir: string, passphrase = ''): { key: string; publicKey: string } {
  const key = join(dir, `client_${passphrase ? 'enc' : 'plain'}`);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-f', key]);
  return { key, publicKey: readFileSync(`${key}.pub`, 'utf8').trim() };
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A running test sshd. */
export interface TestHost {
  readonly address: string;
  readonly port: number;
  /** `ssh-ed25519 AAAA…`: its host key, as a known_hosts line wants it after the host name. */
  readonly hostKey: string;
  /** Every process below the listener: sessions and what they run. */
  processes(): number[];
  /** Stops the listener and every session (a machine going away). */
  stop(): Promise<void>;
  /** Ends every session but keeps the listener (a network blip: connections drop, new ones work). */
  dropSessions(): void;
}

/**
 * Starts sshd on `address:port` with its own host key, accepting `authorizedKeys` and the test
 * user's password. With `netns`, it runs in that network namespace.
 */
export async function startSshd(
  dir: string,
  options: {
    address: string;
    port: number;
    authorizedKeys: readonly string[];
    netns?: string;
    hostname?: string;
    maxSessions?: number;
    /** The `PATH` of every session: a machine with only the commands in those folders. */
    path?: string;
    /** `AllowTcpForwarding no`: the machine refuses to forward a port back to the client. */
    refuseForwarding?: boolean;
  },
): Promise<TestHost> {
  mkdirSync(dir, { recursive: true });
  // sshd reads authorized_keys as the test user: the folder must be open to it.
  chmodSync(dir, 0o755);
  const hostKey = join(dir, 'host_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  writeFileSync(join(dir, 'authorized_keys'), `${options.authorizedKeys.join('\n')}\n`, { mode: 0o644 });
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `ListenAddress ${options.address}`,
      `Port ${options.port}`,
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'UsePAM no',
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin no',
      `AllowUsers ${testUser.name}`,
      'MaxStartups 100:30:200',
      `MaxSessions ${options.maxSessions ?? 100}`,
      ...(options.path ? [`SetEnv PATH=${options.path}`] : []),
      ...(options.refuseForwarding ? ['AllowTcpForwarding no'] : []),
      '',
    ].join('\n'),
  );
  const sshd = ['/usr/sbin/sshd', '-D', '-e', '-f', config];
  // A host of its own: its network namespace, and a host name of its own (UTS namespace).
  const command = options.netns
    ? [
        'nsenter',
        `--net=/run/netns/${options.netns}`,
        'unshare',
        '--uts',
        'sh',
        '-c',
        'hostname "$1" && shift && exec "$@"',
        'sh',
        options.hostname ?? options.netns,
        ...sshd,
      ]
    : sshd;
  const child: ChildProcess = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk));
  for (let i = 0; i < 200 && !log.includes('Server listening'); i++) await sleep(25);
  if (!log.includes('Server listening')) throw new Error(`sshd on ${options.address}:${options.port} did not start: ${log}`);
  const listener = child.pid!;
  const processes = () => descendants(listener);
  return {
    address: options.address,
    port: options.port,
    hostKey: readFileSync(`${hostKey}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' '),
    processes,
    dropSessions() {
      for (const pid of processes()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    },
    async stop() {
      // Like a machine going away: its sshd (listener and sessions) dies first, so no exit status
      // reaches the client; then whatever the sessions ran, which would outlive them.
      const below = processes();
      const isSshd = (pid: number) => {
        try {
          return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sshd';
        } catch {
          return false;
        }
      };
      const all = [listener, ...below.filter(isSshd), ...below.filter((pid) => !isSshd(pid))];
      for (const pid of all) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)));
    },
  };
}

/** Pids below `root`, parents before children. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      out.push(child);
      walk(child);
    }
  };
  walk(root);
  return out;
}

/** A home folder for the client side, with `.ssh/known_hosts` naming `hosts`. */
export function clientHome(dir: string, hosts: readonly TestHost[], files: { config?: string; keys?: Record<string, string> } = {}): string {
  const ssh = join(dir, '.ssh');
  mkdirSync(ssh, { recursive: true, mode: 0o700 });
  writeFileSync(join(ssh, 'known_hosts'), hosts.map((h) => `${h.port === 22 ? h.address : `[${h.address}]:${h.port}`} ${h.hostKey}\n`).join(''));
  if (files.config) writeFileSync(join(ssh, 'config'), files.config);
  for (const [name, source] of Object.entries(files.keys ?? {})) copyFileSync(source, join(ssh, name));
  return dir;
}

/** One sshd on this machine for a test file's tests: its key, its known_hosts, and why it is missing, if it is. */
export interface SharedSshd {
  readonly skipReason: string | undefined;
  readonly host: TestHost;
  /** The client's private key file, and its public key. */
  readonly key: string;
  readonly publicKey: string;
  readonly knownHosts: string;
  /** A folder open to the test user, removed after the file's tests. */
  readonly shared: string;
}

/** Starts an sshd before a test file's tests (unless `sshUnavailable()`) and stops it after them. */
export function useSharedSshd(prefix: string): SharedSshd {
  const state: { -readonly [K in keyof SharedSshd]?: SharedSshd[K] } = {};
  beforeAll(async () => {
    state.skipReason = sshUnavailable();
    if (state.skipReason) return;
    state.shared = mkdtempSync(join(tmpdir(), prefix));
    chmodSync(state.shared, 0o755);
    const client = makeClientKey(state.shared);
    state.key = client.key;
    state.publicKey = client.publicKey;
    state.host = await startSshd(join(state.shared, 'sshd'), { address: '127.0.0.1', port: await freePort(), authorizedKeys: [client.publicKey] });
    state.knownHosts = join(clientHome(join(state.shared, 'home'), [state.host]), '.ssh', 'known_hosts');
  });
  afterAll(async () => {
    await state.host?.stop();
    if (state.shared) rmSync(state.shared, { recursive: true, force: true });
  });
  return state as SharedSshd;
}
