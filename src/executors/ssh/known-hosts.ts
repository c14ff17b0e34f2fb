import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { globMatches, patternListMatches } from './glob.js';

/** One host key of a `known_hosts` file that applies to a host. */
export interface KnownKey {
  /** Key type as written, e.g. `ssh-ed25519`. */
  readonly type: string;
  /** The public key blob. */
  readonly blob: Buffer;
  /** True for `@revoked` lines: this key must be refused. */
  readonly revoked: boolean;
}

/** How OpenSSH names a host in `known_hosts`: the bare name on port 22, else `[name]:port`. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** True when one comma-separated host pattern of a line names `name` (plain, hashed, or a wildcard). */
function patternMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [salt, hash] = pattern.slice(3).split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  return globMatches(pattern, name);
}

/** The keys `file` lists for `host:port`; an absent file lists none. */
export function readKnownKeys(file: string, host: string, port: number): KnownKey[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const name = knownHostsName(host, port);
  const keys: KnownKey[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    let fields = line.split(/\s+/);
    let revoked = false;
    if (fields[0]?.startsWith('@')) {
      // A CA line vouches for certificates, which this client does not use.
      if (fields[0] !== '@revoked') continue;
      revoked = true;
      fields = fields.slice(1);
    }
    const [hosts, type, key] = fields;
    if (!hosts || !type || !key) continue;
    if (patternListMatches(hosts.split(','), (pattern) => patternMatches(pattern, name))) keys.push({ type, blob: Buffer.from(key, 'base64'), revoked });
  }
  return keys;
}

/** Records a host's key, as OpenSSH's `StrictHostKeyChecking accept-new` does. */
export function addKnownKey(file: string, host: string, port: number, blob: Buffer): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  appendFileSync(file, `${knownHostsName(host, port)} ${keyType(blob)} ${blob.toString('base64')}\n`, { mode: 0o600 });
}

/** The type named at the start of an SSH public key blob (`ssh-ed25519`, `ssh-rsa`, …). */
export function keyType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const length = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + length).toString('latin1');
}

/** The SHA256 fingerprint OpenSSH prints for a key. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}
