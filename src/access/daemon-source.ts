import { createDaemonClient } from '../daemon/client.js';
import type { DaemonAccess } from '../store/batch-store.js';
import type { BatchSource } from './batch-source.js';

/** A running batch's daemon as a {@link BatchSource}. */
export function daemonSource(access: DaemonAccess): BatchSource {
  const client = createDaemonClient({ portal: access.portal, token: access.token });
  return {
    kind: 'daemon',
    client,
    info: () => client.batch(),
    jobs: (query) => client.jobs(query),
    job: (name) => client.job(name),
    logs: async (name, stream, offset, length) => ({ ...(await client.logs(name, { stream, offset, length })), offset }),
    metrics: (name) => client.metrics(name),
  };
}
