import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BatchSpec } from '../batch/spec.js';
import { HyperctlError } from '../errors.js';
import { BatchState } from '../state/batch-state.js';
import { batchStatus, type BatchStatus } from '../state/batch-status.js';
import { toJobResult, type JobResult } from '../state/job-result.js';
import { readRunner, type LastRunInfo, type RunnerInfo } from './batch-store.js';
import { batchFiles } from '../batch/batch-folder.js';
import { JournalTail, readJournal } from './journal.js';
import { specFromStored } from './spec-file.js';
import { closestNames } from '../text/closest-names.js';

/** A batch as the state on disk tells it. */
export interface StoredBatch {
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

/** Reads one batch's folder; `E_BATCH_NOT_FOUND` when there is none. */
export function readBatch(batchesDataDir: string, name: string, spec: BatchSpec = readSpec(batchesDataDir, name)): StoredBatch {
  const dir = join(batchesDataDir, name);
  const records = readJournal(join(dir, batchFiles.journal));
  return storedBatch(dir, name, spec, new BatchState(spec).applyAll(records), records.length > 0);
}

/**
 * Follows one batch's folder as a run writes it: each call reads only the records its journal
 * gained since the last (all of it again only when it was replaced), so a view of a running batch
 * costs what the batch adds, not its whole journal at every look.
 */
export function followBatch(batchesDataDir: string, name: string, spec: BatchSpec): () => StoredBatch {
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
    return storedBatch(dir, name, spec, state, started);
  };
}

/** A batch from its state folded so far (`started`: its journal has a record), its runner and its last run. */
function storedBatch(dir: string, name: string, spec: BatchSpec, state: BatchState, started: boolean): StoredBatch {
  const runner = readRunner(dir);
  // A runner whose jobs are over and whose daemon still serves does not run anything.
  const active = runner !== null && runner.finishedAt === undefined;
  let lastRun: LastRunInfo | null = null;
  try {
    lastRun = JSON.parse(readFileSync(join(dir, batchFiles.lastRun), 'utf8')) as LastRunInfo;
  } catch {
    // never finished a run
  }
  // Nothing runs it: what the journal left open ends as it will for any reader (a new run's record sends it back).
  if (!active) state.settle(lastRun?.endedAt ?? Date.now());
  const status = batchStatus({ active, counts: state.counts(), started: started || lastRun !== null, interrupted: lastRun?.interrupted ?? false });
  const jobs = state.all().map((job) => toJobResult(job, state.runStartedAt));
  return { name, dataDir: dir, status, spec, state, jobs, runner, lastRun };
}

/** Every batch under `batchesDataDir` (folders with a spec), by name. */
export function listBatches(batchesDataDir: string): StoredBatch[] {
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
