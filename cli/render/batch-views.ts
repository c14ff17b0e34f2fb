import type { StoredBatch, StoredJob } from '../../src/store/read-batch.js';
import { formatDuration } from '../style.js';
import { renderTable } from './table.js';

const statuses = ['succeed', 'failed', 'killed', 'running', 'init'] as const;

export function countJobs(jobs: readonly StoredJob[]): Record<(typeof statuses)[number], number> & { total: number } {
  const counts = { total: jobs.length, succeed: 0, failed: 0, killed: 0, running: 0, init: 0 };
  for (const job of jobs) counts[job.status]++;
  return counts;
}

function started(batch: StoredBatch): number | undefined {
  return batch.runner?.startedAt ?? batch.lastRun?.startedAt;
}

function elapsed(batch: StoredBatch): number | undefined {
  const start = started(batch);
  if (start === undefined) return undefined;
  return (batch.runner ? Date.now() : (batch.lastRun?.endedAt ?? start)) - start;
}

export function batchJson(batch: StoredBatch): Record<string, unknown> {
  const start = started(batch);
  return {
    name: batch.name,
    status: batch.state,
    dataDir: batch.dataDir,
    counts: countJobs(batch.jobs),
    startedAt: start === undefined ? null : new Date(start).toISOString(),
    elapsedMs: elapsed(batch) ?? null,
    runnerPid: batch.runner?.pid ?? null,
  };
}

export function jobJson(job: StoredJob): Record<string, unknown> {
  return {
    name: job.name,
    status: job.status,
    exitCode: job.exitCode,
    signal: job.signal,
    host: job.host ?? null,
    reason: job.reason ?? null,
    startedAt: job.startedAt === undefined ? null : new Date(job.startedAt).toISOString(),
    durationMs: job.startedAt === undefined ? null : (job.endedAt ?? Date.now()) - job.startedAt,
    params: job.params,
    command: job.command,
    dataDir: job.dataDir,
    workingDir: job.workingDir,
  };
}

export function renderBatchList(batches: readonly StoredBatch[]): string {
  return renderTable(
    ['NAME', 'STATUS', 'TOTAL', 'SUCCEED', 'FAILED', 'KILLED', 'RUNNING', 'INIT', 'STARTED', 'ELAPSED'],
    batches.map((b) => {
      const c = countJobs(b.jobs);
      const start = started(b);
      const time = elapsed(b);
      return [b.name, b.state, ...[c.total, c.succeed, c.failed, c.killed, c.running, c.init].map(String), start === undefined ? '-' : new Date(start).toISOString().slice(0, 19).replace('T', ' '), time === undefined ? '-' : formatDuration(time)];
    }),
  );
}

export function renderJobTable(jobs: readonly StoredJob[]): string {
  return renderTable(
    ['NAME', 'STATUS', 'EXIT', 'DURATION', 'HOST', 'PARAMS'],
    jobs.map((j) => [
      j.name,
      j.status,
      j.signal ?? (j.exitCode === null ? '-' : String(j.exitCode)),
      j.startedAt === undefined ? '-' : formatDuration((j.endedAt ?? Date.now()) - j.startedAt),
      j.host ?? '-',
      JSON.stringify(j.params),
    ]),
  );
}

export function renderBatchSummary(batch: StoredBatch): string {
  const c = countJobs(batch.jobs);
  const time = elapsed(batch);
  return [
    `batch:    ${batch.name}`,
    `status:   ${batch.state}${batch.runner ? ` (runner pid ${batch.runner.pid})` : ''}`,
    `jobs:     ${c.total} total, ${statuses.map((s) => `${c[s]} ${s}`).join(', ')}`,
    `elapsed:  ${time === undefined ? '-' : formatDuration(time)}`,
    `data dir: ${batch.dataDir}`,
    '',
  ].join('\n');
}
