import { isIP } from 'node:net';
import type { BatchSpec } from '../batch/spec.js';
import type { Executor } from '../executors/executor.js';
import { LocalExecutor } from '../executors/local.js';
import { SshExecutor } from '../executors/ssh/ssh-executor.js';
import type { RunBatchOptions } from './options.js';

/** The executors a batch's `backend` describes: the local machine, or one per SSH machine. */
export function createExecutors(spec: BatchSpec, options: RunBatchOptions): Executor[] {
  const killGrace = options.killGraceMs !== undefined ? { killGraceMs: options.killGraceMs } : {};
  const backend = spec.backend;
  if (backend.type === 'local') return [new LocalExecutor({ slots: backend.parallelism, ...killGrace })];
  return backend.machines.map((machine) => new SshExecutor({ machine, hostKeyChecking: backend.hostKeyChecking, knownHostsFile: backend.knownHostsFile, ...killGrace }));
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/** What the user should hear before a run starts, e.g. remote jobs that could not reach the daemon. */
export function backendWarnings(spec: BatchSpec, daemon: boolean): string[] {
  if (spec.backend.type !== 'remote' || !daemon || !isLoopback(spec.daemon.host)) return [];
  const remote = spec.backend.machines.filter((m) => !isLoopback(m.hostname)).map((m) => m.hostname);
  if (remote.length === 0) return [];
  return [`daemon.host is ${spec.daemon.host}, a loopback address: jobs on ${remote.join(', ')} cannot reach the daemon (the portal in HYPERCTL_SERVER_PORTAL); set daemon.host to an address of this machine that they can reach`];
}
