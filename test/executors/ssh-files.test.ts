import { createHmac, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readKnownKeys } from '../../src/executors/ssh/known-hosts.js';
import { readSshConfig } from '../../src/executors/ssh/ssh-config.js';
import { tempDir } from '../helpers/tmp.js';

const keyA = Buffer.from(`\0\0\0\x0bssh-ed25519\0\0\0\x20${'a'.repeat(32)}`, 'latin1').toString('base64');
const keyB = Buffer.from(`\0\0\0\x0bssh-ed25519\0\0\0\x20${'b'.repeat(32)}`, 'latin1').toString('base64');

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('reading known_hosts', () => {
  it('finds plain, hashed, wildcard and [host]:port entries, honours negation and @revoked, skips CA lines', () => {
    const file = join(tempDir(), 'known_hosts');
    writeFileSync(
      file,
      [
        '# a comment',
        `gpu1,10.0.0.5 ssh-ed25519 ${keyA}`,
        `${hashed('[gpu2]:2222')} ssh-ed25519 ${keyB}`,
        `*.lab,!bad.lab ssh-ed25519 ${keyA} comment`,
        `@revoked gpu1 ssh-ed25519 ${keyB}`,
        `@cert-authority * ssh-ed25519 ${keyB}`,
        'broken line',
        '',
      ].join('\n'),
    );
    expect(readKnownKeys(file, 'gpu1', 22).map((k) => [k.blob.toString('base64'), k.revoked])).toEqual([
      [keyA, false],
      [keyB, true],
    ]);
    expect(readKnownKeys(file, '10.0.0.5', 22)).toHaveLength(1);
    expect(readKnownKeys(file, 'gpu2', 2222).map((k) => k.blob.toString('base64'))).toEqual([keyB]);
    expect(readKnownKeys(file, 'gpu2', 22)).toEqual([]);
    expect(readKnownKeys(file, 'node7.lab', 22)).toHaveLength(1);
    expect(readKnownKeys(file, 'bad.lab', 22)).toEqual([]);
    expect(readKnownKeys(join(tempDir(), 'absent'), 'gpu1', 22)).toEqual([]);
  });
});

describe('reading ~/.ssh/config', () => {
  it('applies matching Host sections, the first value of each keyword winning', () => {
    const file = join(tempDir(), 'config');
    writeFileSync(
      file,
      [
        'Host gpu* !gpu9',
        '  HostName %h.cluster.example',
        '  User trainer',
        '  IdentityFile ~/.ssh/gpu',
        '',
        'Host gpu1',
        '  Port 2222',
        '  User other',
        '',
        'Match all',
        '  User nobody',
        '',
        'Host *',
        '  IdentityFile=~/.ssh/id_default',
        '  Port 22',
      ].join('\n'),
    );
    expect(readSshConfig(file, 'gpu1')).toEqual({
      hostName: 'gpu1.cluster.example',
      user: 'trainer',
      port: 2222,
      identityFiles: ['~/.ssh/gpu', '~/.ssh/id_default'],
    });
    expect(readSshConfig(file, 'gpu9')).toEqual({ port: 22, identityFiles: ['~/.ssh/id_default'] });
    expect(readSshConfig(join(tempDir(), 'absent'), 'x')).toEqual({ identityFiles: [] });
  });
});
