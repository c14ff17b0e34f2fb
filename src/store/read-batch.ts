import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BatchSpec } from '../batch/spec.js';
import { HyperctlError } from '../errors.js';
import { BatchState, type StatusCounts } from '../state/batch-state.js';
import { batchStatus, type BatchStatus } from '../state/batch-status.js';
import { toJobResult, type JobResult } from '../state/job-result.js';
import { jobsPerTrial, searchProgress } from '../state/search-progress.js';
import { type StatedObjectives, statedIn } from '../results/objective.js';
import { type BatchInfo, type JobInfo, objectiveOf, toJobInfo } from '../wire/protocol.js';
import {
  type IndexColumns,
  type IndexedSummary,
  type IndexStamp,
  readIndex,
  readIndexColumns,
  readIndexSummary,
  stampOf,
  writeBatchIndex,
} from './batch-index.js';
import { readRunner, type LastRunInfo, type RunnerInfo } from './batch-store.js';
import { batchFiles } from '../batch/batch-folder.js';
import { JournalTail, readJournal } from './journal.js';
import { specFromStored } from './spec-file.js';
import { closestNames } from '../text/closest-names.js';

/** A batch folded from its spec and journal: every job's state, for readers that need more than the results. */
export interface FoldedBatch {
  readonly name: string;
  readonly dataDir: string;
  readonly status: BatchStatus;
  readonly spec: BatchSpec;
  /** Its journal folded into every job's state; settled when no runner runs it. */
  readonly state: BatchState;
  /** Every job as a run's results show it. */
  readonly jobs: readonly JobResult[];
  readonly runner: RunnerInfo | null;
  readonly lastRun: LastRunInfo | null;
  /** Whether a run ever started it. */
  readonly started: boolean;
}

/** A batch as the state on disk tells it: its summary and every job, from its index or a fold. */
export interface StoredBatch {
  readonly name: string;
  readonly dataDir: string;
  readonly status: BatchStatus;
  readonly counts: StatusCounts;
  /** Its ranking and a search's progress, as {@link BatchInfo} carries them. */
  readonly ranking: Pick<BatchInfo, 'objective' | 'search'>;
  /** What its spec says it ranks by. */
  readonly stated: StatedObjectives;
  /** Every job, in batch order. */
  readonly jobs: readonly JobInfo[];
  readonly runner: RunnerInfo | null;
  readonly lastRun: LastRunInfo | null;
}

/** Reads one batch's spec; `E_BATCH_NOT_FOUND` when its folder has none. */
export function readSpec(batchesDataDir: string, name: string): BatchSpec {
  const file = join(batchesDataDir, name, batchFiles.spec);
  try {
    return specFromStored(JSON.parse(readFileSync(file, 'utf8')));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new HyperctlError('E_BATCH_NOT_FOUND', `no batch "${name}" in ${batchesDataDir}${closestNames(name, batchNames(batchesDataDir), 'batches')}`);
    throw new HyperctlError('E_STATE_CORRUPT', `${file}: unreadable (${(error as Error).message})`, { cause: error });
  }
}

/** The names of the folders under `batchesDataDir` that hold a batch. */
function batchNames(batchesDataDir: string): string[] {
  try {
    return readdirSync(batchesDataDir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(batchesDataDir, d.name, batchFiles.spec)))
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}

/** Folds one batch's folder; `E_BATCH_NOT_FOUND` when there is none. */
export function foldBatch(batchesDataDir: string, name: string, spec: BatchSpec = readSpec(batchesDataDir, name)): FoldedBatch {
  const dir = join(batchesDataDir, name);
  const records = readJournal(join(dir, batchFiles.journal));
  return foldedBatch(dir, name, spec, new BatchState(spec).applyAll(records), records.length > 0);
}

/**
 * Reads one batch's folder: from its index while that answers for the files as they are (see
 * store/batch-index.ts), else by a fold, whose result becomes the index when no runner holds the
 * batch. `E_BATCH_NOT_FOUND` when there is none.
 */
export function readBatch(batchesDataDir: string, name: string, fold: () => FoldedBatch = () => foldBatch(batchesDataDir, name)): StoredBatch {
  const dir = join(batchesDataDir, name);
  const { runner, lastRun, stamp } = settledFiles(dir);
  const indexed = readIndex(dir, stamp);
  if (indexed) return { ...indexedSummary(dir, name, indexed.summary, runner, lastRun), jobs: indexed.jobs };
  const folded = fold();
  const stored = storedOf(folded);
  if (stamp && !isActive(readRunner(dir))) writeBatchIndex(dir, stamp, summaryOf(stored, folded.started), stored.jobs);
  return stored;
}

/**
 * Writes the index of a batch whose run just ended, so the first read after is as fast as every
 * later one: from the run's own state (`live`) when it left no job open, which is then what a fold
 * of its files gives, row by row without a copy of the batch; else from a fold of its files.
 */
export function indexBatch(spec: BatchSpec, live: BatchState | undefined): void {
  const dir = spec.dataDir;
  const { stamp } = settledFiles(dir);
  if (live && stamp && !leftOpen(live)) {
    const jobs = (function* () {
      for (const job of live.each()) yield toJobInfo(toJobResult(job, live.runStartedAt));
    })();
    writeBatchIndex(dir, stamp, { counts: live.counts(), started: true, ranking: rankingOf(spec, live), stated: statedIn(spec) }, jobs);
    return;
  }
  readBatch(dirname(dir), spec.name, () => foldBatch(dirname(dir), spec.name, spec));
}

/** Whether a job is running or held by a scheduler: what a reader settles, and the run's state does not. */
function leftOpen(state: BatchState): boolean {
  if (state.counts().running > 0) return true;
  for (const job of state.each()) if (job.status === 'init' && job.queued) return true;
  return false;
}

/** Its ranking and a search's progress, as {@link BatchInfo} carries them. */
function rankingOf(spec: BatchSpec, state: BatchState): StoredBatch['ranking'] {
  return objectiveOf(spec, spec.search && searchProgress(spec.search, state, jobsPerTrial(spec.search)));
}

/** A settled batch's index read for ranking (see {@link readIndexColumns}), while it answers for the files; else undefined. */
export function readBatchColumns(batchesDataDir: string, name: string): IndexColumns | undefined {
  const dir = join(batchesDataDir, name);
  return readIndexColumns(dir, settledFiles(dir).stamp);
}

/** A batch's summary without its jobs: from its index's first line when that answers for the files, else by a fold. */
export function readBatchSummary(batchesDataDir: string, name: string): Omit<StoredBatch, 'jobs'> {
  const dir = join(batchesDataDir, name);
  const { runner, lastRun, stamp } = settledFiles(dir);
  const summary = readIndexSummary(dir, stamp);
  return summary ? indexedSummary(dir, name, summary, runner, lastRun) : readBatch(batchesDataDir, name);
}

/**
 * Who holds a batch, how its last run ended, and the stamp its files have now, taken before they
 * are read (files changed after it make an index miss, never lie); no stamp while a runner runs it.
 */
function settledFiles(dir: string): { runner: RunnerInfo | null; lastRun: LastRunInfo | null; stamp: IndexStamp | null } {
  const runner = readRunner(dir);
  const lastRun = readLastRun(dir);
  return { runner, lastRun, stamp: isActive(runner) ? null : stampOf(dir, lastRun?.endedAt ?? null) };
}

function indexedSummary(dir: string, name: string, summary: IndexedSummary, runner: RunnerInfo | null, lastRun: LastRunInfo | null): Omit<StoredBatch, 'jobs'> {
  const status = batchStatus({
    active: false,
    counts: summary.counts,
    started: summary.started || lastRun !== null,
    interrupted: lastRun?.interrupted ?? false,
  });
  return { name, dataDir: dir, status, counts: summary.counts, ranking: summary.ranking, stated: summary.stated, runner, lastRun };
}

/** A folded batch as readers of its results see it. */
export function storedOf(batch: FoldedBatch): StoredBatch {
  const { spec, state } = batch;
  return {
    name: batch.name,
    dataDir: batch.dataDir,
    status: batch.status,
    counts: state.counts(),
    ranking: rankingOf(spec, state),
    stated: statedIn(spec),
    jobs: batch.jobs.map(toJobInfo),
    runner: batch.runner,
    lastRun: batch.lastRun,
  };
}

function summaryOf(batch: StoredBatch, started: boolean): IndexedSummary {
  return { counts: batch.counts, started, ranking: batch.ranking, stated: batch.stated };
}

/**
 * Follows one batch's folder as a run writes it: each call reads only the records its journal
 * gained since the last (all of it again only when it was replaced), so a view of a running batch
 * costs what the batch adds, not its whole journal at every look.
 */
export function followBatch(batchesDataDir: string, name: string, spec: BatchSpec): () => FoldedBatch {
  const dir = join(batchesDataDir, name);
  const tail = new JournalTail(join(dir, batchFiles.journal));
  let state = new BatchState(spec);
  let started = false;
  return () => {
    const { records, restarted } = tail.read();
    if (restarted) {
      state = new BatchState(spec);
      started = false;
    }
    state.applyAll(records);
    started ||= records.length > 0;
    return foldedBatch(dir, name, spec, state, started);
  };
}

/** A batch from its state folded so far (`started`: its journal has a record), its runner and its last run. */
function foldedBatch(dir: string, name: string, spec: BatchSpec, state: BatchState, started: boolean): FoldedBatch {
  const runner = readRunner(dir);
  const active = isActive(runner);
  const lastRun = readLastRun(dir);
  // Nothing runs it: what the journal left open ends as it will for any reader (a new run's record
  // sends it back), at one instant every reader agrees on: the end of the last run, or the last
  // write of a runner that died after it.
  if (!active) state.settle(settledAt(dir, lastRun));
  const status = batchStatus({ active, counts: state.counts(), started: started || lastRun !== null, interrupted: lastRun?.interrupted ?? false });
  const jobs = state.all().map((job) => toJobResult(job, state.runStartedAt));
  return { name, dataDir: dir, status, spec, state, jobs, runner, lastRun, started };
}

/** When what a runner left open ends: the later of its last run's end and its journal's last write. */
function settledAt(dir: string, lastRun: LastRunInfo | null): number {
  let written = 0;
  try {
    written = Math.floor(statSync(join(dir, batchFiles.journal)).mtimeMs);
  } catch {
    // no journal: nothing is open
  }
  return Math.max(lastRun?.endedAt ?? 0, written);
}

/** A runner whose jobs are over and whose daemon still serves does not run anything. */
function isActive(runner: RunnerInfo | null): boolean {
  return runner !== null && runner.finishedAt === undefined;
}

function readLastRun(dir: string): LastRunInfo | null {
  try {
    return JSON.parse(readFileSync(join(dir, batchFiles.lastRun), 'utf8')) as LastRunInfo;
  } catch {
    // never finished a run
    return null;
  }
}

/** Every batch under `batchesDataDir` (folders with a spec), by name, as its summary. */
export function listBatches(batchesDataDir: string): Omit<StoredBatch, 'jobs'>[] {
  let names: string[];
  try {
    names = readdirSync(batchesDataDir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const batches: Omit<StoredBatch, 'jobs'>[] = [];
  for (const name of names) {
    try {
      batches.push(readBatchSummary(batchesDataDir, name));
    } catch (error) {
      // A folder that is not a batch (no spec) does not stop the listing.
      if (!(error instanceof HyperctlError && error.code === 'E_BATCH_NOT_FOUND')) throw error;
    }
  }
  return batches;
}
