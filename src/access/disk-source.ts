import { join } from 'node:path';
import { existsSync } from 'node:fs';
import type { BatchInfo, JobInfo } from '../wire/protocol.js';
import { MetricsTracker } from '../metrics/metrics-tracker.js';
import { type FoldedBatch, followBatch, readBatch, readBatchColumns, readSpec, type StoredBatch } from '../store/read-batch.js';
import type { IndexColumns } from '../store/batch-index.js';
import type { BatchSource, JobPage, JobQuery, LogChunk } from './batch-source.js';
import { withLiveMetrics } from '../state/job-result.js';
import type { BatchSpec } from '../batch/spec.js';
import { batchFiles } from '../batch/batch-folder.js';
import { type StatedObjectives, statedIn } from '../results/objective.js';
import { unknownJob } from '../text/closest-names.js';
import { readLogChunk } from './log-file.js';

/** A batch read from disk, shown like one from a daemon. */
export function storedBatchInfo(batch: Omit<StoredBatch, 'jobs'>): BatchInfo {
  // A runner that only serves (its jobs are over, or it serves from disk) did not start the last run.
  const start = (batch.runner?.finishedAt === undefined ? batch.runner?.startedAt : undefined) ?? batch.lastRun?.startedAt;
  const end = batch.status === 'running' ? Date.now() : (batch.lastRun?.endedAt ?? start);
  return {
    name: batch.name,
    status: batch.status,
    counts: batch.counts,
    startedAt: start === undefined ? null : new Date(start).toISOString(),
    elapsedMs: start === undefined || end === undefined ? null : end - start,
    dataDir: batch.dataDir,
    ...batch.ranking,
  };
}

/** A running job with the metrics it has reported so far, read from its files. */
function withMetricsOnDisk(job: JobInfo): Promise<JobInfo> {
  return withLiveMetrics(job, () => new MetricsTracker(job.dataDir).read());
}

/** How long one reading of a batch's files answers for it. */
const freshForMs = 250;

/** A batch's files as a {@link BatchSource}, with its spec and what it ranks by. */
export interface DiskSource extends BatchSource {
  /** Its spec, read when first asked for: the results of a finished batch are read without it. */
  spec(): BatchSpec;
  /** What its spec says it ranks by. */
  stated(): StatedObjectives;
  /** Its index read for ranking, while it answers for a settled batch's files (see store/batch-index.ts); else undefined. */
  columns(): IndexColumns | undefined;
}

/**
 * A batch's files as a {@link BatchSource}: each call reads them afresh, so it is current while a
 * run writes them. A settled batch is read from its index (see store/batch-index.ts), a running
 * one by following its journal: each look reads what it gained.
 */
export function diskSource(batchesDataDir: string, name: string): DiskSource {
  const dir = join(batchesDataDir, name);
  // Said now, not at the first read: a batch that is not there is named with its closest ones.
  if (!existsSync(join(dir, batchFiles.spec))) readSpec(batchesDataDir, name);
  let spec: BatchSpec | undefined;
  const specOf = () => {
    spec ??= readSpec(batchesDataDir, name);
    return spec;
  };
  let follower: (() => FoldedBatch) | undefined;
  const follow = () => {
    follower ??= followBatch(batchesDataDir, name, specOf());
    return follower();
  };
  // Looks in quick succession (a log printed chunk by chunk) share one for a moment, as current
  // as a running batch's files need.
  let last: { batch: StoredBatch; at: number } | undefined;
  const read = (): StoredBatch => {
    if (last && Date.now() - last.at <= freshForMs) return last.batch;
    const batch = readBatch(batchesDataDir, name, follow);
    last = { batch, at: Date.now() };
    return batch;
  };
  const find = (batch: StoredBatch, job: string) => {
    const found = batch.jobs.find((j) => j.name === job);
    if (!found) throw unknownJob(name, job, batch.jobs);
    return found;
  };
  return {
    kind: 'disk',
    spec: specOf,
    // From the last read when there was one (an index's summary), else from the spec.
    stated: () => last?.batch.stated ?? statedIn(specOf()),
    columns: () => readBatchColumns(batchesDataDir, name),
    info: async () => storedBatchInfo(read()),
    jobs: async ({ status, offset = 0, limit }: JobQuery): Promise<JobPage> => {
      const all = read().jobs.filter((j) => status === undefined || j.status === status);
      const page = all.slice(offset, limit === undefined ? undefined : offset + limit);
      // Only a running job's metrics are read from its files: no promise for each of a huge batch's jobs.
      const jobs: JobInfo[] = [];
      for (const job of page) jobs.push(job.status === 'running' ? await withMetricsOnDisk(job) : job);
      return { total: all.length, offset, jobs };
    },
    job: async (job): Promise<JobInfo> => withMetricsOnDisk(find(read(), job)),
    logs: async (job, stream, offset, length): Promise<LogChunk> => {
      const found = find(read(), job);
      return { ...readLogChunk(join(found.dataDir, stream), offset, length), status: found.status };
    },
    metrics: async (job) => (await new MetricsTracker(find(read(), job).dataDir).read()) ?? { last: {}, history: [] },
  };
}
