import type { BatchConfig, ExecutionConfig, JobConfig } from './types.js';

/*
 * A batch in the format of Hypernets' later releases, for `hyperctl generate` from a template
 * written in it: what hyperctl's own format says, key by key where that format has the key; what
 * only hyperctl has (timeouts, retries, halting) is written under hyperctl's names, which hyperctl
 * reads in either format. Its defaults differ from hyperctl's, so the two that do are written out.
 */

type Head = Omit<BatchConfig, 'jobs'>;
const connectionKeys = ['hostname', 'username', 'password', 'ssh_rsa_file', 'passphrase', 'port'];

/** The batch's own fields, with the command its jobs share, as the later format writes them. */
export function hypernetsHead(head: Head, command: string): Record<string, unknown> {
  const { name, version, daemon, backend, pause_file, independent_tmp, ...rest } = head;
  const server = daemon ? { ...(daemon.host !== undefined ? { host: daemon.host } : {}), ...(daemon.port !== undefined ? { port: daemon.port } : {}) } : {};
  return {
    ...(name !== undefined ? { name } : {}),
    ...(version !== undefined ? { version } : {}),
    job_command: command,
    ...(Object.keys(server).length > 0 ? { server } : {}),
    // hyperctl keeps serving by default, those releases exit: written either way, it means the same to both.
    scheduler: { exit_on_finish: daemon?.exit_on_finish ?? false, ...(pause_file !== undefined ? { signal_file: pause_file } : {}) },
    ...(independent_tmp ? {} : { independent_tmp: false }),
    ...(backend ? { backend: hypernetsBackend(backend) } : {}),
    ...rest,
  };
}

/** A job as the later format writes it: what hyperctl keeps in `execution` (but the command) beside its params. */
export function hypernetsJob(job: JobConfig): Record<string, unknown> {
  const { execution, ...rest } = job;
  const { command: _command, ...files } = execution as ExecutionConfig;
  return { ...rest, ...files };
}

function hypernetsBackend(backend: NonNullable<Head['backend']>): Record<string, unknown> {
  const conf = (backend.conf ?? {}) as Record<string, unknown>;
  const machines = Array.isArray(conf.machines)
    ? {
        machines: (conf.machines as Record<string, unknown>[]).map((machine) => {
          const connection: Record<string, unknown> = {};
          const rest: Record<string, unknown> = {};
          for (const [key, value] of Object.entries(machine)) (connectionKeys.includes(key) ? connection : rest)[key] = value;
          return { connection, ...rest };
        }),
      }
    : {};
  return { type: backend.type, ...conf, ...machines };
}
