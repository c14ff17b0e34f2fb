import { readFileSync } from 'node:fs';
import { globMatches, patternListMatches } from './glob.js';

/** What `~/.ssh/config` says about one host (the first value of each keyword wins, as in OpenSSH). */
export interface SshHostConfig {
  readonly hostName?: string;
  readonly user?: string;
  readonly port?: number;
  readonly identityFiles: readonly string[];
}

/**
 * Reads the `Host` sections of an OpenSSH client config that apply to `host`: `HostName`,
 * `User`, `Port` and `IdentityFile` (with `%h`, `%u`-free `~` paths left for the caller). `Match`
 * blocks and `Include` are not followed. An absent file says nothing.
 */
export function readSshConfig(file: string, host: string): SshHostConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { identityFiles: [] };
  }
  let applies = true;
  let hostName: string | undefined;
  let user: string | undefined;
  let port: number | undefined;
  const identityFiles: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const match = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line);
    if (!match) continue;
    const keyword = match[1]!.toLowerCase();
    const value = match[2]!.replace(/^"(.*)"$/, '$1');
    if (keyword === 'host') {
      applies = patternListMatches(value.split(/\s+/), (pattern) => globMatches(pattern, host));
      continue;
    }
    if (keyword === 'match') {
      applies = false;
      continue;
    }
    if (!applies) continue;
    if (keyword === 'hostname') hostName ??= value.replace(/%h/g, host);
    else if (keyword === 'user') user ??= value;
    else if (keyword === 'port') port ??= Number(value);
    else if (keyword === 'identityfile') identityFiles.push(value);
  }
  return { ...(hostName ? { hostName } : {}), ...(user ? { user } : {}), ...(port && Number.isInteger(port) ? { port } : {}), identityFiles };
}
