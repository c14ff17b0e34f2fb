import type { BatchInfo, JobInfo } from '../../src/index.js';
import { formatDuration, formatNumber } from '../style.js';
import { renderTable } from './table.js';

const statuses = ['succeed', 'failed', 'killed', 'pruned', 'running', 'init'] as const;

export function renderBatchList(batches: readonly (BatchInfo & { portal?: string | null })[]): string {
  return renderTable(
    ['NAME', 'STATUS', 'TOTAL', 'SUCCEED', 'FAILED', 'KILLED', 'RUNNING', 'INIT', 'STARTED', 'ELAPSED', 'PORTAL'],
    batches.map((b) => {
      const c = b.counts;
      return [
        b.name,
        b.status,
        ...[c.total, c.succeed, c.failed, c.killed, c.running, c.init].map(String),
        b.startedAt === null ? '-' : b.startedAt.slice(0, 19).replace('T', ' '),
        b.elapsedMs === null ? '-' : formatDuration(b.elapsedMs),
        b.portal ?? '-',
      ];
    }),
  );
}

/** Jobs as a table; a METRICS column (`name=value …`) when some job reported metrics. */
export function renderJobTable(jobs: readonly JobInfo[]): string {
  const withMetrics = jobs.some((j) => j.metrics);
  const metrics = (j: JobInfo) =>
    j.metrics
      ? Object.entries(j.metrics)
          .map(([k, v]) => `${k}=${typeof v === 'number' ? formatNumber(v) : v}`)
          .join(' ')
      : '-';
  return renderTable(
    ['NAME', 'STATUS', 'EXIT', 'DURATION', 'HOST', ...(withMetrics ? ['METRICS'] : []), 'PARAMS'],
    jobs.map((j) => [
      j.name,
      j.status,
      j.signal ?? (j.exitCode === null ? '-' : String(j.exitCode)),
      j.durationMs === null ? '-' : formatDuration(j.durationMs),
      j.host ?? '-',
      ...(withMetrics ? [metrics(j)] : []),
      JSON.stringify(j.params),
    ]),
  );
}

export function renderBatchSummary(batch: BatchInfo, source: string): string {
  const c = batch.counts;
  return [
    `batch:    ${batch.name}`,
    `status:   ${batch.status}${batch.pausedAt !== undefined ? `, paused since ${batch.pausedAt}` : ''} (${source})`,
    `jobs:     ${c.total} total, ${statuses.map((s) => `${c[s]} ${s}`).join(', ')}`,
    `elapsed:  ${batch.elapsedMs === null ? '-' : formatDuration(batch.elapsedMs)}`,
    `data dir: ${batch.dataDir}`,
    '',
  ].join('\n');
}
