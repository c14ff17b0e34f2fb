import { objectivesText } from './front.js';
import type { BatchInfo, JobInfo } from '../../src/index.js';
import { formatDuration, formatNumber, localTime } from '../style.js';
import { renderTable } from './table.js';

const statuses = ['succeed', 'failed', 'killed', 'pruned', 'running', 'init'] as const;

/** `12/40`: a search's trials proposed of those planned (`12` when only time or a target ends it). */
function trialsText(search: NonNullable<BatchInfo['search']>): string {
  return `${search.proposed}${search.planned !== null ? `/${search.planned}` : ''}`;
}

export function renderBatchList(batches: readonly (BatchInfo & { portal?: string | null })[]): string {
  return renderTable(
    ['NAME', 'STATUS', 'TOTAL', 'SUCCEED', 'FAILED', 'KILLED', 'PRUNED', 'RUNNING', 'INIT', 'TRIALS', 'STARTED', 'ELAPSED', 'PORTAL'],
    batches.map((b) => {
      const c = b.counts;
      return [
        b.name,
        b.status,
        ...[c.total, c.succeed, c.failed, c.killed, c.pruned, c.running, c.init].map(String),
        b.search ? trialsText(b.search) : '-',
        b.startedAt === null ? '-' : localTime(b.startedAt),
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

/**
 * `; best: trial 4, loss = 0.0244 (min)`, or nothing before a trial has a value; for a search of
 * several objectives, `; Pareto front: 7 trials over loss (min), latency_ms (min)`.
 */
function searchBest(search: NonNullable<BatchInfo['search']>): string {
  const { best, metric, goal, objectives, front } = search;
  if (objectives && front) return `; Pareto front: ${front.length} trial${front.length === 1 ? '' : 's'} over ${objectivesText(objectives)}`;
  return best && metric ? `; best: trial ${best.trial}, ${metric} = ${formatNumber(best.value)} (${goal})` : '';
}

export function renderBatchSummary(batch: BatchInfo, source: string): string {
  const c = batch.counts;
  return [
    `batch:    ${batch.name}`,
    `status:   ${batch.status}${batch.pausedAt !== undefined ? `, paused since ${localTime(batch.pausedAt)}` : ''} (${source})`,
    `jobs:     ${c.total} total, ${statuses.map((s) => `${c[s]} ${s}`).join(', ')}`,
    ...(batch.search ? [`search:   ${batch.search.algorithm}, ${trialsText(batch.search)} trials${searchBest(batch.search)}`] : []),
    `elapsed:  ${batch.elapsedMs === null ? '-' : formatDuration(batch.elapsedMs)}`,
    `data dir: ${batch.dataDir}`,
    '',
  ].join('\n');
}
