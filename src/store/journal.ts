import { closeSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import type { JobStatus } from '../batch/types.js';
import type { Metrics } from '../metrics/metrics-line.js';

/** A job was started (`pid`/`ticks` identify its process group leader, to clean up after a crash). */
export interface StartRecord {
  readonly e: 'start';
  readonly job: string;
  readonly hash: string;
  readonly at: number;
  readonly pid?: number;
  readonly ticks?: number | null;
  readonly host?: string;
  /** The job's id in a scheduler that runs it (e.g. Slurm's `123_4`), to follow it again after a crash. */
  readonly handle?: string;
  /** True while the scheduler only holds it in its queue: it has not started. */
  readonly queued?: boolean;
}

/** A job ended. */
export interface ExitRecord {
  readonly e: 'exit';
  readonly job: string;
  readonly hash: string;
  readonly status: Exclude<JobStatus, 'init' | 'running'>;
  readonly code: number | null;
  readonly signal: string | null;
  readonly startedAt: number;
  readonly at: number;
  readonly host?: string;
  readonly reason?: string;
  /** The last value of each metric the job reported. */
  readonly metrics?: Metrics;
}

export type JournalRecord = StartRecord | ExitRecord;

/**
 * Reads every whole record. A `kill -9` can leave at most the last line torn; such a line (or any
 * that does not parse) is skipped, so the journal is always readable.
 */
export function readJournal(path: string): JournalRecord[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const records: JournalRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const record = JSON.parse(line) as JournalRecord;
      if (record && (record.e === 'start' || record.e === 'exit') && typeof record.job === 'string') records.push(record);
    } catch {
      // a torn tail from a killed writer
    }
  }
  return records;
}

/** The last record of each job, in journal order. */
export function latestByJob(records: readonly JournalRecord[]): Map<string, JournalRecord> {
  const latest = new Map<string, JournalRecord>();
  for (const record of records) latest.set(record.job, record);
  return latest;
}

/**
 * An append-only journal: one JSON line per event, written with a single `write` on an `O_APPEND`
 * descriptor, so events are never rewritten and a crash loses at most the line being written.
 */
export class JournalWriter {
  readonly #fd: number;

  constructor(path: string) {
    this.#fd = openSync(path, 'a');
  }

  append(record: JournalRecord): void {
    writeSync(this.#fd, `${JSON.stringify(record)}\n`);
  }

  close(): void {
    closeSync(this.#fd);
  }
}

/**
 * Rewrites the journal with one record per job (the latest), atomically (temp file + rename), so a
 * batch re-run many times does not grow without bound. A torn line ends up dropped.
 */
export function compactJournal(path: string, latest: ReadonlyMap<string, JournalRecord>): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    let chunk = '';
    for (const record of latest.values()) {
      chunk += `${JSON.stringify(record)}\n`;
      if (chunk.length > 1 << 16) {
        writeSync(fd, chunk);
        chunk = '';
      }
    }
    if (chunk) writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
