import { closeSync, fdatasync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { writeAtomic } from './atomic-file.js';
import { stateWriteError } from './write-fault.js';
import type { JobRecord, JournalRecord, ReportRecord, TrialRecord } from '../state/records.js';

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
      if (
        record &&
        (record.e === 'run'
          ? typeof record.at === 'number'
          : record.e === 'trial'
            ? typeof record.n === 'number' && Array.isArray(record.jobs)
            : (record.e === 'start' || record.e === 'exit' || record.e === 'report') && typeof record.job === 'string')
      )
        records.push(record);
    } catch {
      // a torn tail from a killed writer
    }
  }
  return records;
}

/** The last record of each job, in journal order (`run` records concern no one job). */
export function latestByJob(records: readonly JournalRecord[]): Map<string, JobRecord> {
  const latest = new Map<string, JobRecord>();
  for (const record of records) if (record.e === 'start' || record.e === 'exit') latest.set(record.job, record);
  return latest;
}

/** How long an appended record may wait in the page cache before it is forced to disk. */
const syncDelayMs = 1000;

/**
 * An append-only journal: one JSON line per event on an `O_APPEND` descriptor, so events are never
 * rewritten. A record is written whole or not at all: a short or failed write is cut off again (or,
 * when even that fails, fenced off by a newline before the next record), and the append throws, so
 * the caller knows the event is not recorded. Records reach the disk (`fdatasync`) within
 * {@link syncDelayMs} of their append and when the journal is closed: a `kill -9` loses nothing the
 * append returned from; a power loss can lose the last second's records, whose jobs then run again.
 */
export class JournalWriter {
  readonly #path: string;
  readonly #fd: number;
  /** Bytes of whole records in the file. */
  #size: number;
  /** A failed write left a partial line that could not be cut off. */
  #torn = false;
  #syncTimer: NodeJS.Timeout | undefined;
  #syncError: unknown;

  constructor(path: string) {
    this.#path = path;
    this.#fd = openSync(path, 'a');
    this.#size = fstatSync(this.#fd).size;
  }

  /** Appends one record; throws `E_STATE_WRITE` when it is not (wholly) written. */
  append(record: JournalRecord): void {
    if (this.#syncError !== undefined) throw stateWriteError(this.#path, this.#syncError);
    const bytes = Buffer.from(`${this.#torn ? '\n' : ''}${JSON.stringify(record)}\n`);
    let written = 0;
    try {
      while (written < bytes.length) written += writeSync(this.#fd, bytes, written);
    } catch (error) {
      if (written > 0) this.#cutOff();
      throw stateWriteError(this.#path, error);
    }
    this.#size += bytes.length;
    this.#torn = false;
    this.#syncTimer ??= setTimeout(() => this.#sync(), syncDelayMs).unref();
  }

  /** Forces what was appended to disk and closes the file; throws `E_STATE_WRITE` when that fails. */
  close(): void {
    clearTimeout(this.#syncTimer);
    try {
      if (this.#syncError === undefined) fdatasyncSync(this.#fd);
    } catch (error) {
      this.#syncError = error;
    } finally {
      closeSync(this.#fd);
    }
    if (this.#syncError !== undefined) throw stateWriteError(this.#path, this.#syncError);
  }

  #sync(): void {
    this.#syncTimer = undefined;
    fdatasync(this.#fd, (error) => {
      if (error) this.#syncError ??= error;
    });
  }

  #cutOff(): void {
    try {
      ftruncateSync(this.#fd, this.#size);
    } catch {
      this.#torn = true;
    }
  }
}

/**
 * Rewrites the journal with a search's trials and one record per job (the latest), atomically (temp file + rename), so a
 * batch re-run many times does not grow without bound. A torn line ends up dropped.
 */
export function compactJournal(
  path: string,
  latest: ReadonlyMap<string, JobRecord>,
  trials: readonly TrialRecord[] = [],
  reports: readonly ReportRecord[] = [],
): void {
  writeAtomic(path, (write) => {
    let chunk = '';
    // A search's trials first: they bring the jobs the other records are about; then the reports
    // early stopping judged, in their order.
    for (const record of [...trials, ...reports, ...latest.values()]) {
      chunk += `${JSON.stringify(record)}\n`;
      if (chunk.length > 1 << 16) {
        write(chunk);
        chunk = '';
      }
    }
    if (chunk) write(chunk);
  });
}
