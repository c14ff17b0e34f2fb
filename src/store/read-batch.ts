import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BatchSpec } from '../batch/spec.js';
import type { JobParams, JobStatus } from '../batch/types.js';
import { HyperctlError } from '../errors.js';
import type { Metrics } from '../metrics/metrics-line.js';
import { readRunner, type LastRunInfo, type RunnerInfo } from './batch-store.js';
import { batchFiles } from './batch-files.js';
import { latestByJob, readJournal } from './journal.js';

/** A job as the state on disk tells it. */
export interface StoredJob {
  readonly name: string;
  readonly status: JobStatus;
  readonly params: JobParams;
  readonly command: string;
  readonly dataDir: string;
  readonly workingDir: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly host?: string;
  readonly reason?: string;
  readonly pid?: number;
  readonly startedAt?: number;
  readonly endedAt?: number;
  readonly metrics?: Metrics;
}

/** `running` while a live runner holds it; `finished` when every job ended; else `interrupted`, or `init` before any job ran. */
export type BatchState = 'running' | 'finished' | 'interrupted' | 'init';

/** A batch as the state on disk tells it. */
export interface StoredBatch {
  readonly name: string;
  readonly dataDir: string;
  readonly state: BatchState;
  readonly spec: BatchSpec;
  readonly jobs: readonly StoredJob[];
  readonly runner: RunnerInfo | null;
  readonly lastRun: LastRunInfo | null;
}

/** Reads one batch's folder; `E_BATCH_NOT_FOUND` when there is none. */
export function readBatch(batchesDataDir: string, name: string): StoredBatch {
  const dir = join(batchesDataDir, name);
  let spec: BatchSpec;
  try {
    spec = JSON.parse(readFileSync(join(dir, batchFiles.spec), 'utf8')) as BatchSpec;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new HyperctlError('E_BATCH_NOT_FOUND', `no batch "${name}" in ${batchesDataDir}`);
    throw new HyperctlError('E_STATE_CORRUPT', `${join(dir, batchFiles.spec)}: unreadable (${(error as Error).message})`, { cause: error });
  }
  const runner = readRunner(dir);
  // A runner whose jobs are over and whose daemon still serves does not run anything.
  const active = runner !== null && runner.finishedAt === undefined;
  const latest = latestByJob(readJournal(join(dir, batchFiles.journal)));
  const jobs = spec.jobs.map((job): StoredJob => {
    const base = { name: job.name, params: job.params, command: job.command, dataDir: job.dataDir, workingDir: job.workingDir, exitCode: null, signal: null };
    const record = latest.get(job.name);
    if (!record) return { ...base, status: 'init' };
    if (record.e === 'exit') {
      return {
        ...base,
        status: record.status,
        exitCode: record.code,
        signal: record.signal,
        startedAt: record.startedAt,
        endedAt: record.at,
        ...(record.host ? { host: record.host } : {}),
        ...(record.reason ? { reason: record.reason } : {}),
        ...(record.metrics ? { metrics: record.metrics } : {}),
      };
    }
    const started = { ...base, startedAt: record.at, ...(record.host ? { host: record.host } : {}), ...(record.pid !== undefined ? { pid: record.pid } : {}) };
    if (active) return record.queued ? { ...base, status: 'init', reason: `queued as ${record.handle}` } : { ...started, status: 'running' };
    // A scheduler may still run it: a re-run of the batch follows it rather than start it again.
    const reason = record.handle ? `the runner stopped while the scheduler ran it as ${record.handle}; run the batch again to follow it` : 'the runner stopped while the job ran';
    return { ...started, status: 'failed', reason };
  });
  let lastRun: LastRunInfo | null = null;
  try {
    lastRun = JSON.parse(readFileSync(join(dir, batchFiles.lastRun), 'utf8')) as LastRunInfo;
  } catch {
    // never finished a run
  }
  const state: BatchState = active ? 'running' : jobs.every((j) => j.status === 'succeed' || j.status === 'failed' || j.status === 'killed') && !lastRun?.interrupted ? 'finished' : latest.size === 0 && !lastRun ? 'init' : 'interrupted';
  return { name, dataDir: dir, state, spec, jobs, runner, lastRun };
}

/** Every batch under `batchesDataDir` (folders with a spec), by name. */
export function listBatches(batchesDataDir: string): StoredBatch[] {
  let names: string[];
  try {
    names = readdirSync(batchesDataDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const batches: StoredBatch[] = [];
  for (const name of names) {
    try {
      batches.push(readBatch(batchesDataDir, name));
    } catch (error) {
      // A folder that is not a batch (no spec) does not stop the listing.
      if (!(error instanceof HyperctlError && error.code === 'E_BATCH_NOT_FOUND')) throw error;
    }
  }
  return batches;
}
