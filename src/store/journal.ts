import { closeSync, fdatasync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { writeAtomic } from '../files/atomic-file.js';
import { stateWriteError } from '../files/write-fault.js';
import type { JobRecord, JournalRecord } from '../state/records.js';

/** How much of a journal is read at a time: a big journal is never held whole, as bytes or as text. */
const readChunkBytes = 1 << 16;

/**
 * Reads every whole record. A `kill -9` can leave at most the last line torn; such a line (or any
 * that does not parse) is skipped, so the journal is always readable. The file is read a chunk at
 * a time into one buffer: a 40 MB journal read whole cost as much in fresh memory as in parsing.
 */
export function readJournal(path: string, chunkBytes = readChunkBytes): JournalRecord[] {
  return new JournalTail(path, chunkBytes).read(true).records;
}

/**
 * A journal read as it grows: each {@link JournalTail.read} returns the whole records appended
 * since the last, so a reader that follows a running batch never folds its journal again. A journal
 * that was replaced or cut shorter since is read again from its start, and `restarted` says so.
 */
export class JournalTail {
  readonly #path: string;
  readonly #chunkBytes: number;
  #position = 0;
  #file: { readonly dev: number; readonly ino: number } | undefined;
  /** A line not yet ended: a record still being appended. */
  #rest = '';
  #decoder = new StringDecoder('utf8');

  constructor(path: string, chunkBytes = readChunkBytes) {
    this.#path = path;
    this.#chunkBytes = chunkBytes;
  }

  /** The records appended since the last read; with `last`, a final line without its newline too (the file is read once). */
  read(last = false): { readonly records: JournalRecord[]; readonly restarted: boolean } {
    const records: JournalRecord[] = [];
    const read = this.#chunks(last);
    for (let chunk = read.next(); ; chunk = read.next()) {
      if (chunk.done) return { records, restarted: chunk.value };
      for (const line of chunk.value) {
        const record = recordOf(line);
        if (record) records.push(record);
      }
    }
  }

  /** The records appended since the last read, a chunk at a time: a reader that keeps only some never holds them all. */
  *each(last = false): Generator<JournalRecord> {
    for (const chunk of this.#chunks(last))
      for (const line of chunk) {
        const record = recordOf(line);
        if (record) yield record;
      }
  }

  /** The lines appended since the last read, as written (torn or not), unparsed. */
  *lines(last = false): Generator<string> {
    for (const chunk of this.#chunks(last)) yield* chunk;
  }

  /** The lines of each chunk read; returns whether the journal was read again from its start. */
  *#chunks(last: boolean): Generator<string[], boolean> {
    let fd: number;
    try {
      fd = openSync(this.#path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      const restarted = this.#position > 0;
      this.#restart();
      return restarted;
    }
    let restarted = false;
    try {
      const { dev, ino, size } = fstatSync(fd);
      if (this.#file && (this.#file.dev !== dev || this.#file.ino !== ino || size < this.#position)) {
        this.#restart();
        restarted = true;
      }
      this.#file = { dev, ino };
      const buffer = Buffer.allocUnsafe(Math.min(this.#chunkBytes, Math.max(size - this.#position, 1)));
      for (;;) {
        const read = readSync(fd, buffer, 0, buffer.length, this.#position);
        if (read === 0) break;
        this.#position += read;
        // A character split between two chunks is decoded whole.
        const lines = (this.#rest + this.#decoder.write(buffer.subarray(0, read))).split('\n');
        this.#rest = lines.pop()!;
        yield lines;
      }
      if (last) yield [this.#rest + this.#decoder.end()];
    } finally {
      closeSync(fd);
    }
    return restarted;
  }

  #restart(): void {
    this.#position = 0;
    this.#file = undefined;
    this.#rest = '';
    this.#decoder = new StringDecoder('utf8');
  }
}

/** The record a line holds; undefined for an empty line or one that is not a whole record (a torn tail from a killed writer). */
function recordOf(line: string): JournalRecord | undefined {
  if (!line) return undefined;
  let record: JournalRecord;
  try {
    record = JSON.parse(line) as JournalRecord;
  } catch {
    return undefined;
  }
  const whole =
    record &&
    (record.e === 'run' || record.e === 'steer'
      ? typeof record.at === 'number'
      : record.e === 'trial'
        ? typeof record.n === 'number' && Array.isArray(record.jobs)
        : record.e === 'add'
          ? Array.isArray(record.jobs)
          : (record.e === 'start' || record.e === 'exit' || record.e === 'report' || record.e === 'retry') && typeof record.job === 'string');
  return whole ? record : undefined;
}

/** The last record of each job, in journal order (`run` records concern no one job). */
export function latestByJob(records: readonly JournalRecord[]): Map<string, JobRecord> {
  const latest = new Map<string, JobRecord>();
  for (const record of records) if (record.e === 'start' || record.e === 'exit' || record.e === 'retry') latest.set(record.job, record);
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
  /** An `fdatasync` runs in the thread pool: the descriptor is closed only once it is done. */
  #syncing = false;
  #closed = false;

  constructor(path: string) {
    this.#path = path;
    this.#fd = openSync(path, 'a+');
    this.#size = fstatSync(this.#fd).size;
    // A writer killed mid-line left a torn tail: the first record goes on a line of its own.
    if (this.#size > 0) {
      const last = Buffer.alloc(1);
      readSync(this.#fd, last, 0, 1, this.#size - 1);
      this.#torn = last[0] !== 0x0a;
    }
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
      this.#closed = true;
      // A sync still running would otherwise run on a closed descriptor, or on another file given its number.
      if (!this.#syncing) closeSync(this.#fd);
    }
    if (this.#syncError !== undefined) throw stateWriteError(this.#path, this.#syncError);
  }

  #sync(): void {
    this.#syncTimer = undefined;
    this.#syncing = true;
    fdatasync(this.#fd, (error) => {
      this.#syncing = false;
      if (this.#closed) return closeSync(this.#fd);
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
 * The records a journal can be cut down to with every job's state folded from it unchanged: a
 * search's trials and jobs added to a live batch (they bring the jobs the other records are
 * about) and the changes it was steered by, in their order; the reports early stopping
 * judged, in their order; then the latest record of each job (of each version of it, by hash),
 * those written before the last `run` record, that record, and those after it (a run record sends
 * the jobs before it back to `init` as it did). A job whose latest record a forced run came after
 * is `init` whatever it was: its record goes.
 *
 * The plan says, for each record (by its place), which of those parts it goes to, or none; it
 * holds a number per record and a key per job, never the records: a journal of a million jobs is
 * compacted by reading it again for each part.
 */
export function compactionPlan(records: Iterable<JournalRecord | undefined>): CompactionPlan {
  let parts: Uint8Array = new Uint8Array(1024);
  /** Each job version's latest record, by place. */
  const latest = new Map<string, number>();
  /** Each job's hashes in `latest`, one after another (most jobs have one). */
  const hashesOf = new Map<string, string[] | string>();
  let lastRun = -1;
  let lastForced = -1;
  const added = new Set<string>();
  let at = -1;
  let count = 0;
  for (const record of records) {
    at++;
    if (at === parts.length) parts = grown(parts);
    if (!record) continue;
    count++;
    if (record.e === 'add') {
      // Jobs are added under names the batch did not have: records of such a name before were
      // history a fold skipped. The add record goes first, so they go.
      for (const { name } of record.jobs) {
        // A second add of a name changes nothing: the first one brought the job.
        if (added.has(name)) continue;
        added.add(name);
        for (const hash of [hashesOf.get(name) ?? []].flat()) latest.delete(`${name}\0${hash}`);
        hashesOf.delete(name);
      }
    }
    if (record.e === 'trial' || record.e === 'add' || record.e === 'steer') parts[at] = Part.brings;
    else if (record.e === 'report') parts[at] = Part.report;
    else if (record.e === 'run') {
      lastRun = at;
      if (record.force) lastForced = at;
    } else {
      // Per version of the job: a fold skips records of another hash than its spec's, so an older
      // version's latest record may be what a reader with that spec folds.
      const key = `${record.job}\0${record.hash}`;
      if (!latest.has(key)) {
        const hashes = hashesOf.get(record.job);
        hashesOf.set(record.job, hashes === undefined ? record.hash : [hashes, record.hash].flat());
      }
      latest.set(key, at);
    }
  }
  for (const place of latest.values()) if (place > lastRun || place > lastForced || lastForced === lastRun) parts[place] = Part.job;
  if (lastRun >= 0) parts[lastRun] = Part.job;
  let kept = 0;
  for (let place = 0; place <= at; place++) if (parts[place] !== Part.none) kept++;
  return { parts: parts.subarray(0, at + 1), records: count, kept };
}

/**
 * Which part of a compacted journal a record goes to (see {@link compactionPlan}), in their order;
 * `job` holds each job's latest record and the last run record, in the journal's order.
 */
const Part = { none: 0, brings: 1, report: 2, job: 3 } as const;

/** What {@link compactionPlan} decided for each record of a journal (by place), and how many it has and keeps. */
export interface CompactionPlan {
  readonly parts: Uint8Array;
  readonly records: number;
  readonly kept: number;
}

function grown(parts: Uint8Array): Uint8Array {
  const bigger = new Uint8Array(parts.length * 2);
  bigger.set(parts);
  return bigger;
}

/** The records a journal can be cut down to (see {@link compactionPlan}), in their order. */
export function compactedRecords(records: readonly JournalRecord[]): JournalRecord[] {
  const { parts } = compactionPlan(records);
  return [Part.brings, Part.report, Part.job].flatMap((part) => records.filter((_, place) => parts[place] === part));
}

/**
 * Cuts a journal down to the records a fold needs (see {@link compactionPlan}), atomically: a
 * reader sees the whole old journal or the whole new one. `records` are the journal's, already
 * read; otherwise it is read a chunk at a time, once for the plan and once for each part, and
 * only the plan is held.
 */
export function compactJournal(path: string, records?: readonly JournalRecord[]): void {
  const lines = () => new JournalTail(path).lines(true);
  const plan = compactionPlan(
    records ??
      (function* () {
        for (const line of lines()) yield recordOf(line);
      })(),
  );
  // Nothing to leave out (a journal compacted when the last run ended): not written again.
  if (plan.kept === plan.records) return;
  writeAtomic(path, (write) => {
    let chunk = '';
    for (const part of [Part.brings, Part.report, Part.job]) {
      let place = 0;
      for (const line of records ?? lines()) {
        if (plan.parts[place++] !== part) continue;
        chunk += `${typeof line === 'string' ? line : JSON.stringify(line)}\n`;
        if (chunk.length > 1 << 16) {
          write(chunk);
          chunk = '';
        }
      }
    }
    if (chunk) write(chunk);
  });
}
