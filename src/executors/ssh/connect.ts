import { connect as connectTcp, type Socket } from 'node:net';
import type { AnyAuthMethod, AuthenticationType, Client } from 'ssh2';
import { HyperctlError } from '../../errors.js';
import { addKnownKey, fingerprint, keyType, knownHostsName, readKnownKeys } from './known-hosts.js';
import type { ResolvedMachine } from './machine.js';

/** How host keys are checked. */
export interface HostKeyPolicy {
  readonly checking: 'yes' | 'accept-new';
  readonly knownHostsFile: string;
}

/** Host key algorithms ssh2 may negotiate for a key type written in `known_hosts`. */
const algorithmsFor: Record<string, readonly string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

const connectTimeoutMs = 20_000;

/** An SSH connection and the socket it runs on. */
export interface OpenConnection {
  readonly client: Client;
  /** Its TCP socket: every byte from the machine arrives here first. */
  readonly socket: Socket;
}

/**
 * Opens one SSH connection to `machine`: TCP no-delay and keep-alive on, the host key checked
 * against the known-hosts file, the machine's auth methods tried in order. Rejects with
 * `E_SSH_CONNECT`, `E_SSH_HOST_KEY` or `E_SSH_AUTH`, never naming a secret.
 */
export async function openConnection(machine: ResolvedMachine, policy: HostKeyPolicy): Promise<OpenConnection> {
  const { Client: SshClient } = (await import('ssh2')).default;
  const where = `${machine.name} (${machine.address}:${machine.port})`;
  const known = readKnownKeys(policy.knownHostsFile, machine.address, machine.port).concat(
    machine.address === machine.name ? [] : readKnownKeys(policy.knownHostsFile, machine.name, machine.port),
  );
  const usable = known.filter((k) => !k.revoked && algorithmsFor[k.type]);
  let hostKeyProblem: HyperctlError | undefined;
  const verify = (blob: Buffer): boolean => {
    const type = keyType(blob);
    if (known.some((k) => k.revoked && k.blob.equals(blob))) {
      hostKeyProblem = new HyperctlError(
        'E_SSH_HOST_KEY',
        `${where}: its host key ${type} ${fingerprint(blob)} is marked @revoked in ${policy.knownHostsFile}; refusing to connect`,
      );
      return false;
    }
    if (usable.some((k) => k.blob.equals(blob))) return true;
    if (usable.length > 0) {
      hostKeyProblem = new HyperctlError(
        'E_SSH_HOST_KEY',
        `${where}: its host key has CHANGED (now ${type} ${fingerprint(blob)}, not the one in ${policy.knownHostsFile}); someone may be intercepting the connection, or the host was reinstalled. If you trust the new key, remove the old one with: ssh-keygen -f ${policy.knownHostsFile} -R '${knownHostsName(machine.address, machine.port)}'`,
      );
      return false;
    }
    if (policy.checking === 'accept-new') {
      addKnownKey(policy.knownHostsFile, machine.address, machine.port, blob);
      return true;
    }
    hostKeyProblem = new HyperctlError(
      'E_SSH_HOST_KEY',
      `${where}: unknown host key ${type} ${fingerprint(blob)}: it is not in ${policy.knownHostsFile}. Check it, then add it (ssh-keyscan -p ${machine.port} ${machine.address} >> ${policy.knownHostsFile}), or set backend.conf.host_key_checking: "accept-new" to record keys of new hosts`,
    );
    return false;
  };

  return new Promise((resolve, reject) => {
    const client = new SshClient();
    const tried: string[] = [];
    let next = 0;
    const socket = connectTcp({ host: machine.address, port: machine.port });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 15_000);
    const timer = setTimeout(
      () => fail(new HyperctlError('E_SSH_CONNECT', `${where}: no SSH handshake within ${connectTimeoutMs / 1000} s`)),
      connectTimeoutMs,
    );
    const fail = (error: HyperctlError) => {
      clearTimeout(timer);
      client.end();
      socket.destroy();
      reject(error);
    };
    socket.once('error', (error: NodeJS.ErrnoException) =>
      fail(new HyperctlError('E_SSH_CONNECT', `${where}: cannot connect: ${error.code ?? error.message}`, { cause: error })),
    );
    client.once('ready', () => {
      clearTimeout(timer);
      client.removeAllListeners('error');
      resolve({ client, socket });
    });
    client.on('error', (error: Error & { level?: string }) => {
      if (hostKeyProblem) return fail(hostKeyProblem);
      if (error.level === 'client-authentication')
        return fail(new HyperctlError('E_SSH_AUTH', `${where}: authentication failed for user ${machine.username} (tried ${tried.join(', ') || 'nothing'})`));
      fail(new HyperctlError('E_SSH_CONNECT', `${where}: ${error.message}`, { cause: error }));
    });
    socket.once('connect', () => {
      client.connect({
        sock: socket,
        username: machine.username,
        keepaliveInterval: 10_000,
        keepaliveCountMax: 3,
        readyTimeout: connectTimeoutMs,
        hostVerifier: verify,
        ...(usable.length > 0 ? { algorithms: { serverHostKey: [...new Set(usable.flatMap((k) => algorithmsFor[k.type]!))] as never } } : {}),
        authHandler: (_left: AuthenticationType[], _partial: boolean, proceed: (method: AnyAuthMethod | false) => void) => {
          const method = machine.auth[next];
          if (method) tried.push(machine.authKinds[next]!);
          next++;
          proceed(method ?? false);
        },
      } as never);
    });
  });
}
