import { execFileSync, spawnSync } from 'node:child_process';
import { rootUnavailable } from './system.js';

/** The account jobs log in as on every test host, and the second user of one machine. */
export const testUser = { name: 'hctest', password: 'hctest-pass' } as const;

/** Makes the test user (root only); its ids, or the reason it cannot be had (a failure under `CI=true`). */
export function ensureTestUser(): { uid: number; gid: number } | string {
  const missing = rootUnavailable('these tests need root: they add a second user');
  if (missing) return missing;
  spawnSync('useradd', ['-m', '-s', '/bin/sh', testUser.name], { stdio: 'ignore' });
  execFileSync('chpasswd', { input: `${testUser.name}:${testUser.password}\n` });
  const id = (flag: string) => Number(execFileSync('id', [flag, testUser.name], { encoding: 'utf8' }));
  return { uid: id('-u'), gid: id('-g') };
}
