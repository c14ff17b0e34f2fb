import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { BatchSpec } from '../batch/spec.js';
import { HyperctlError } from '../errors.js';
import { writeAtomic, writeJsonAtomic } from '../files/atomic-file.js';
import { batchFiles } from '../batch/batch-folder.js';
import type { AddRecord, JobRecord, JournalRecord, ReportRecord, RunRecord, SteerRecord, TrialRecord } from '../state/records.js';
import { compactJournal, JournalWriter, latestByJob, readJournal } from './journal.js';
import { identify, isAlive, type ProcessIdentity } from './process-identity.js';
import { stateWriteError } from '../files/write-fault.js';
import { storedSpec } from './spec-file.js';

/** Who runs a batch now: written when a run starts, removed when it ends. */
export interface RunnerInfo extends ProcessIdentity {
  readonly host: string;
  readonly startedAt: number;
  /** The daemon's URL (without the token), when the run serves one. */
  readonly portal?: string;
  /** Set once every job has ended while the daemon keeps serving the batch. */
  readonly finishedAt?: number;
}

/** Where a run's daemon listens, and its secret. */
export interface DaemonAccess {
  readonly portal: string;
  readonly token: string;
}

/** How the last run of a batch ended. */
export interface LastRunInfo {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly interrupted: boolean;
}

/**
 * The durable state of one batch on disk: the normalised spec, an append-only journal of job
 * events, and a lock file naming the runner. Opening it takes the lock and reads what earlier runs
 * left.
 */
export class BatchStore {
  readonly dir: string;
  /** The last journal record of every job, from earlier runs. */
  readonly previous: ReadonlyMap<string, JobRecord>;
  /** A search's trials, from earlier runs, in the order they were proposed. */
  readonly trials: readonly TrialRecord[];
  /** Reports early stopping judged in earlier runs, in their order. */
  readonly reports: readonly ReportRecord[];
  /** Jobs added to the batch and changes it was steered by in earlier runs, in their order. */
  readonly steering: readonly (AddRecord | SteerRecord)[];
  readonly startedAt = Date.now();
  /** The record that starts this run, journalled when the store opens. */
  readonly runRecord: RunRecord;
  readonly #journal: JournalWriter;
  #closed = false;

  readonly #runner: RunnerInfo;

  private constructor(
    dir: string,
    previous: {
      jobs: ReadonlyMap<string, JobRecord>;
      trials: readonly TrialRecord[];
      reports: readonly ReportRecord[];
      steering: readonly (AddRecord | SteerRecord)[];
    },
    runner: RunnerInfo,
    journal: JournalWriter,
    force: boolean,
  ) {
    this.runRecord = { e: 'run', at: this.startedAt, ...(force ? { force } : {}) };
    this.dir = dir;
    this.previous = previous.jobs;
    this.trials = previous.trials;
    this.reports = previous.reports;
    this.steering = previous.steering;
    this.#runner = runner;
    this.#journal = journal;
  }

  /**
   * Takes the batch's lock and prepares its folder. Throws `E_BATCH_LOCKED` when another run holds
   * it, `E_STATE_WRITE` when the folder cannot be written (and then holds no lock).
   */
  static open(spec: BatchSpec, { daemon, force = false }: { daemon?: DaemonAccess; force?: boolean } = {}): BatchStore {
    try {
      mkdirSync(spec.dataDir, { recursive: true });
    } catch (error) {
      throw stateWriteError(spec.dataDir, error);
    }
    const runner = lockBatch(spec.dataDir, spec.name, daemon?.portal);
    try {
      // Only the owner may read the token: it authorises every request to the daemon.
      if (daemon) writeAtomic(join(spec.dataDir, batchFiles.token), (write) => write(daemon.token), 0o600);
      const journalPath = join(spec.dataDir, batchFiles.journal);
      const records = readJournal(journalPath);
      const previous = latestByJob(records);
      const trials = records.filter((r): r is TrialRecord => r.e === 'trial');
      const reports = records.filter((r): r is ReportRecord => r.e === 'report');
      const steering = records.filter((r): r is AddRecord | SteerRecord => r.e === 'add' || r.e === 'steer');
      if (records.length > 0) compactJournal(journalPath, records);
      writeJsonAtomic(join(spec.dataDir, batchFiles.spec), storedSpec(spec));
      let journal: JournalWriter;
      try {
        journal = new JournalWriter(journalPath);
      } catch (error) {
        throw stateWriteError(journalPath, error);
      }
      const store = new BatchStore(spec.dataDir, { jobs: previous, trials, reports, steering }, runner, journal, force);
      store.record(store.runRecord);
      return store;
    } catch (error) {
      rmSync(join(spec.dataDir, batchFiles.runner), { force: true });
      throw error;
    }
  }

  /** Appends a job event to the journal; throws `E_STATE_WRITE` when it is not recorded. */
  record(record: JournalRecord): void {
    this.#journal.append(record);
  }

  /**
   * Records that the run's jobs are over. With `serving`, the lock stays held (the daemon still
   * answers for the batch) and says so; {@link BatchStore.release} then frees it. Throws
   * `E_STATE_WRITE` when the end cannot be recorded; the lock is released then.
   */
  finish(interrupted: boolean, serving = false): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#journal.close();
      // Readers fold one record per job, not each start and exit; the journal is whole either way,
      // so a compaction that fails (a full disk) only leaves it longer.
      try {
        compactJournal(join(this.dir, batchFiles.journal));
      } catch {
        // the journal as written stays
      }
      const endedAt = Date.now();
      writeJsonAtomic(join(this.dir, batchFiles.lastRun), { startedAt: this.startedAt, endedAt, interrupted } satisfies LastRunInfo);
      if (serving) writeJsonAtomic(join(this.dir, batchFiles.runner), { ...this.#runner, finishedAt: endedAt } satisfies RunnerInfo);
      else this.release();
    } catch (error) {
      this.release();
      throw error;
    }
  }

  /**
   * Records that the jobs are over while the journal stays open, for jobs a user queues again
   * while the daemon serves the batch (`job retry`, `batch add`): the lock says the batch is served.
   */
  markServing(): void {
    const endedAt = Date.now();
    writeJsonAtomic(join(this.dir, batchFiles.lastRun), { startedAt: this.startedAt, endedAt, interrupted: false } satisfies LastRunInfo);
    writeJsonAtomic(join(this.dir, batchFiles.runner), { ...this.#runner, finishedAt: endedAt } satisfies RunnerInfo);
  }

  /** Records that jobs run again after {@link BatchStore.markServing}: the lock says the batch runs. */
  markRunning(): void {
    writeJsonAtomic(join(this.dir, batchFiles.runner), this.#runner satisfies RunnerInfo);
  }

  /** Frees the batch for the next run. */
  release(): void {
    rmSync(join(this.dir, batchFiles.runner), { force: true });
  }
}

/** The daemon of a running batch, or null when it runs none (or does not run). */
export function readDaemonAccess(dir: string): DaemonAccess | null {
  const runner = readRunner(dir);
  if (!runner?.portal) return null;
  try {
    return { portal: runner.portal, token: readFileSync(join(dir, batchFiles.token), 'utf8').trim() };
  } catch {
    return null;
  }
}

/** Reads the runner lock of a batch folder, or null when no run holds it. */
export function readRunner(dir: string): RunnerInfo | null {
  try {
    const info = JSON.parse(readFileSync(join(dir, batchFiles.runner), 'utf8')) as RunnerInfo;
    // A lock from another host (shared storage) cannot be checked from here: count it as held.
    return info.host !== hostname() || isAlive(info) ? info : null;
  } catch {
    return null;
  }
}

/**
 * Takes a batch no run holds for a daemon that serves it from disk, so that `batch dashboard` and
 * `batch stop` find it and no run starts under it; returns the release. `E_BATCH_LOCKED` when a
 * run (or another server) holds it.
 */
export function holdForServing(dir: string, name: string, daemon: DaemonAccess): () => void {
  const runner = lockBatch(dir, name, daemon.portal, Date.now());
  const release = () => rmSync(join(dir, batchFiles.runner), { force: true });
  try {
    writeAtomic(join(dir, batchFiles.token), (write) => write(daemon.token), 0o600);
  } catch (error) {
    release();
    throw error;
  }
  return () => {
    // Only its own lock: a stale server's files may have been taken over meanwhile.
    if (readRunner(dir)?.startedAt === runner.startedAt) release();
  };
}

/**
 * Takes the batch's runner lock: `runner.json` published whole (written to a file of its own, then
 * linked into place, which fails if one is there), so a reader never sees half of it. A lock whose
 * owner is dead is taken over under a second lock, `runner.json.takeover`, and only if it is still
 * the stale one: two runs that find the same dead owner never both take the batch.
 */
function lockBatch(dir: string, name: string, portal: string | undefined, finishedAt?: number): RunnerInfo {
  const path = join(dir, batchFiles.runner);
  const me: RunnerInfo = {
    ...identify(process.pid),
    host: hostname(),
    startedAt: Date.now(),
    ...(portal ? { portal } : {}),
    ...(finishedAt !== undefined ? { finishedAt } : {}),
  };
  const mine = `${path}.${process.pid}.${randomBytes(6).toString('hex')}`;
  try {
    writeFileSync(mine, JSON.stringify(me), { flag: 'wx' });
  } catch (error) {
    throw stateWriteError(path, error);
  }
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (linked(mine, path)) return me;
      const seen = readText(path);
      const owner = readRunner(dir);
      if (owner?.finishedAt !== undefined)
        throw new HyperctlError(
          'E_BATCH_LOCKED',
          `batch "${name}" has ended, but its runner (pid ${owner.pid}) still serves its daemon; end it with "hyperctl batch stop ${name}" or Ctrl-C first`,
        );
      if (owner) throw new HyperctlError('E_BATCH_LOCKED', `batch "${name}" is already running (pid ${owner.pid}); stop it first or choose another name`);
      // The owner died without cleaning up (kill -9, power loss): its lock is stale.
      if (seen !== undefined && takeOver(path, seen, mine)) return me;
    }
  } finally {
    rmSync(mine, { force: true });
  }
  throw new HyperctlError('E_BATCH_LOCKED', `batch "${name}" is being started by another process`);
}

/** Replaces the stale lock `seen` at `path` by `mine`, under the takeover lock; false when another process got there first. */
function takeOver(path: string, seen: string, mine: string): boolean {
  const takeover = `${path}.takeover`;
  if (!linked(mine, takeover)) {
    // Another taker is at it, or died at it (its lock holds who it was, as the runner lock does).
    const holder = parseRunner(readText(takeover));
    if (holder && (holder.host !== hostname() || isAlive(holder))) return false;
    rmSync(takeover, { force: true });
    if (!linked(mine, takeover)) return false;
  }
  try {
    if (readText(path) !== seen) return false;
    rmSync(path, { force: true });
    return linked(mine, path);
  } finally {
    rmSync(takeover, { force: true });
  }
}

/** Makes `to` a second name of `from`; false when `to` exists. */
function linked(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw stateWriteError(to, error);
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function parseRunner(text: string | undefined): RunnerInfo | undefined {
  try {
    return text === undefined ? undefined : (JSON.parse(text) as RunnerInfo);
  } catch {
    return undefined;
  }
}
