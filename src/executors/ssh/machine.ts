import { existsSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { AnyAuthMethod, ParsedKey } from 'ssh2';
import type { RemoteMachineConfig } from '../../batch/types.js';
import { HyperctlError } from '../../errors.js';
import { resolveUserPath } from '../../paths.js';
import { readSshConfig } from './ssh-config.js';

/** A machine of the remote backend with `~/.ssh/config` applied and its credentials loaded. */
export interface ResolvedMachine {
  /** The name the config gave it: what users see as the job's host. */
  readonly name: string;
  /** Where to connect. */
  readonly address: string;
  readonly port: number;
  readonly username: string;
  /** Authentication methods, tried in order. */
  readonly auth: readonly AnyAuthMethod[];
  /** What `auth` tries, for messages (never the secrets themselves). */
  readonly authKinds: readonly string[];
  readonly slots: number;
  readonly environments: Readonly<Record<string, string>>;
  /** Base folder of job data on the machine, as written (`~` is the remote home). */
  readonly dataDir: string;
}

const defaultKeys = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/**
 * Applies `~/.ssh/config` to a machine of the config and loads its keys. Explicit values win over
 * the SSH config; a key named explicitly must load, default keys that do not are skipped.
 */
export async function resolveMachine(machine: RemoteMachineConfig, env: NodeJS.ProcessEnv = process.env): Promise<ResolvedMachine> {
  // ssh2 loads only when a batch uses SSH: every other command starts faster without it.
  const { utils } = (await import('ssh2')).default;
  const home = homedir();
  const ssh = readSshConfig(join(home, '.ssh', 'config'), machine.hostname);
  const username = machine.username ?? ssh.user ?? userInfo().username;
  const where = `machine ${machine.hostname}`;
  const keys: { path: string; explicit: boolean }[] = machine.ssh_rsa_file
    ? [{ path: machine.ssh_rsa_file, explicit: true }]
    : ssh.identityFiles.length > 0
      ? ssh.identityFiles.map((path) => ({ path, explicit: true }))
      : defaultKeys.map((name) => ({ path: join(home, '.ssh', name), explicit: false }));
  const auth: AnyAuthMethod[] = [];
  const authKinds: string[] = [];
  for (const { path, explicit } of keys) {
    const file = resolveUserPath(path, home);
    if (!explicit && !existsSync(file)) continue;
    const key = loadKey(file, machine.passphrase, where, utils.parseKey);
    if (key instanceof Error) {
      if (explicit) throw key;
      continue;
    }
    auth.push({ type: 'publickey', username, key });
    authKinds.push(`key ${path}`);
  }
  if (env.SSH_AUTH_SOCK) {
    auth.push({ type: 'agent', username, agent: env.SSH_AUTH_SOCK });
    authKinds.push('ssh-agent');
  }
  if (machine.password !== undefined) {
    auth.push({ type: 'password', username, password: machine.password });
    authKinds.push('password');
  }
  if (auth.length === 0)
    throw new HyperctlError('E_SSH_AUTH', `${where}: no way to log in: give a password or ssh_rsa_file, add a key to ~/.ssh, or run ssh-agent`);
  return {
    name: machine.hostname,
    address: ssh.hostName ?? machine.hostname,
    port: machine.port ?? ssh.port ?? 22,
    username,
    auth,
    authKinds,
    slots: machine.slots ?? 1,
    environments: machine.environments ?? {},
    dataDir: machine.data_dir ?? '~/hyperctl-batches-data-dir',
  };
}

function loadKey(
  file: string,
  passphrase: string | undefined,
  where: string,
  parseKey: (data: Buffer, passphrase?: string) => ParsedKey | ParsedKey[] | Error,
): ParsedKey | HyperctlError {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (error) {
    return new HyperctlError('E_SSH_AUTH', `${where}: cannot read the key ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const parsed = parseKey(data, passphrase);
  if (parsed instanceof Error) {
    const encrypted = /encrypted|passphrase/i.test(parsed.message);
    return new HyperctlError(
      'E_SSH_AUTH',
      encrypted
        ? `${where}: the key ${file} is encrypted: ${passphrase === undefined ? 'give its passphrase' : 'the passphrase is wrong'}`
        : `${where}: cannot use the key ${file}: ${parsed.message}`,
    );
  }
  return Array.isArray(parsed) ? parsed[0]! : parsed;
}
