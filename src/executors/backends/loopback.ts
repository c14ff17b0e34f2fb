import { isIP } from 'node:net';

/** Whether `host` is this machine's loopback: jobs elsewhere cannot reach a daemon listening there. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}
