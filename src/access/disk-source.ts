import { join } from 'node:path';
import { objectiveOf, toJobInfo, type BatchInfo, type JobInfo } from '../wire/protocol.js';
import { jobsPerTrial, searchProgress } from '../state/search-progress.js';
import { MetricsTracker } from '../metrics/metrics-tracker.js';
import { followBatch, readSpec, type StoredBatch } from '../store/read-batch.js';
import type { BatchSource, JobPage, JobQuery, LogChunk } from './batch-source.js';
import { type JobResult, withLiveMetrics } from '../state/job-result.js';
import { unknownJob } from '../text/closest-names.js';
import { readLogChunk } from './log-file.js';

/** A batch read from disk, shown like one from a daemon. */
export function storedBatchInfo(batch: StoredBatch): BatchInfo {
  // A runner that only serves (its jobs are over, or it serves from disk) did not start the last run.
  const start = (batch.runner?.finishedAt === undefined ? batch.runner?.startedAt : undefined) ?? batch.lastRun?.startedAt;
  const end = batch.status === 'running' ? Date.now() : (batch.lastRun?.endedAt ?? start);
  return {
    name: batch.name,
    status: batch.status,
    counts: batch.state.counts(),
    startedAt: start === undefined ? null : new Date(start).toISOString(),
    elapsedMs: start === undefined || end === undefined ? null : end - start,
    dataDir: batch.dataDir,
    ...objectiveOf(batch.spec, batch.spec.search && searchProgress(batch.spec.search, batch.state, jobsPerTrial(batch.spec.search))),
  };
}

/** A running job with the metrics it has reported so far, read from its files. */
function withMetricsOnDisk(job: JobResult): Promise<JobResult> {
  return withLiveMetrics(job, () => new MetricsTracker(job.dataDir).read());
}

/** How long one reading of a batch's files answers for it. */
const freshForMs = 250;

/** A batch's files as a {@link BatchSource}: each call reads them afresh, so it is current while a run writes them. */
export function diskSource(batchesDataDir: string, name: string): BatchSource {
  // The spec is read once; the journal at every call, which is current while a run writes it.
  const spec = readSpec(batchesDataDir, name);
  // The journal is followed: each look reads what it gained. Looks in quick succession (a log
  // printed chunk by chunk) share one for a moment, as current as a running batch's files need.
  const follow = followBatch(batchesDataDir, name, spec);
  let last: { batch: StoredBatch; at: number } | undefined;
  const read = () => {
    if (!last || Date.now() - last.at > freshForMs) last = { batch: follow(), at: Date.now() };
    return last.batch;
  };
  const find = (batch: StoredBatch, job: string) => {
    const found = batch.jobs.find((j) => j.name === job);
    if (!found) throw unknownJob(name, job, batch.jobs);
    return found;
  };
  return {
    kind: 'disk',
    spec,
    info: async () => storedBatchInfo(read()),
    jobs: async ({ status, offset = 0, limit }: JobQuery): Promise<JobPage> => {
      const all = read().jobs.filter((j) => status === undefined || j.status === status);
      const page = all.slice(offset, limit === undefined ? undefined : offset + limit);
      // Only a running job's metrics are read from its files: no promise for each of a huge batch's jobs.
      const jobs: JobInfo[] = [];
      for (const job of page) jobs.push(toJobInfo(job.status === 'running' ? await withMetricsOnDisk(job) : job));
      return { total: all.length, offset, jobs };
    },
    job: async (job): Promise<JobInfo> => toJobInfo(await withMetricsOnDisk(find(read(), job))),
    logs: async (job, stream, offset, length): Promise<LogChunk> => {
      const found = find(read(), job);
      return { ...readLogChunk(join(found.dataDir, stream), offset, length), status: found.status };
    },
    metrics: async (job) => (await new MetricsTracker(find(read(), job).dataDir).read()) ?? { last: {}, history: [] },
  };
}
