import { closeSync, openSync, readFileSync, readSync, type Stats, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { batchFiles } from '../batch/batch-folder.js';
import type { JobStatus } from '../batch/types.js';
import { writeAtomic } from '../files/atomic-file.js';
import type { Metrics } from '../metrics/metrics-line.js';
import { isPlainObject } from '../plain-object.js';
import { type ComparisonShape, ShapeBuilder } from '../results/compare.js';
import type { StatedObjectives } from '../results/objective.js';
import type { StatusCounts } from '../state/batch-state.js';
import { type BatchInfo, type JobInfo, jobStatuses } from '../wire/protocol.js';

/*
 * A settled batch's summary and every job's row, as a fold of its spec and journal made them,
 * kept beside them so that a reader of a finished 100,000-job batch reads one compact file instead
 * of parsing the spec and folding the journal again. It is a cache, never a second truth: it names
 * the journal, spec and last run it was folded from (inode, size, modification time), and a reader
 * uses it only while those are unchanged and no runner holds the batch; otherwise it folds, as
 * it always could. It is written whole or not at all (temp file + rename), so a `kill -9` at any
 * instant leaves the old one (which then names files that changed) or the new one.
 *
 * Its lines: the summary; `[`; one row per job; `]`; then the columns: the shape of a comparison
 * of all the jobs, each job's status as a letter, and each metric every job reported as a number
 * (or not at all) as a list. Ranking reads the columns and parses only the rows it shows.
 */

/** What a file was when a fold read it. */
interface FileStamp {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
}

/** The files a fold read, as they were: the index answers for them only while they are unchanged. */
export interface IndexStamp {
  readonly journal: FileStamp | null;
  readonly spec: FileStamp;
  /** The end of the last run (which, with the journal's last write, says when jobs left open were settled), or null before one ended. */
  readonly lastRunEndedAt: number | null;
}

/** A settled batch's summary, as a fold made it. */
export interface IndexedSummary {
  readonly counts: StatusCounts;
  /** Whether a run ever started it. */
  readonly started: boolean;
  readonly ranking: Pick<BatchInfo, 'objective' | 'search'>;
  readonly stated: StatedObjectives;
}

const version = 2;

/** The stamp of a batch folder's files now; null when its spec cannot be read. */
export function stampOf(dir: string, lastRunEndedAt: number | null): IndexStamp | null {
  const spec = fileStamp(join(dir, batchFiles.spec));
  if (!spec) return null;
  return { journal: fileStamp(join(dir, batchFiles.journal)), spec, lastRunEndedAt };
}

function fileStamp(path: string): FileStamp | null {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch {
    return null;
  }
  return { ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs };
}

function sameStamp(a: IndexStamp, b: IndexStamp): boolean {
  const same = (x: FileStamp | null, y: FileStamp | null) =>
    x === y || (x !== null && y !== null && x.ino === y.ino && x.size === y.size && x.mtimeMs === y.mtimeMs);
  return same(a.journal, b.journal) && same(a.spec, b.spec) && a.lastRunEndedAt === b.lastRunEndedAt;
}

/**
 * Writes the index of a batch folded from the files `stamp` names (taken before they were read).
 * Best effort: a folder the reader may not write keeps no index, and is folded at every read.
 */
export function writeBatchIndex(dir: string, stamp: IndexStamp, summary: IndexedSummary, jobs: Iterable<JobInfo>): void {
  try {
    writeAtomic(join(dir, batchFiles.index), (write) => {
      write(`${JSON.stringify({ v: version, stamp, ...summary })}\n[`);
      const columns = new ColumnsBuilder();
      let chunk = '';
      let first = true;
      for (const job of jobs) {
        columns.add(job);
        chunk += `${first ? '\n' : ',\n'}${JSON.stringify(rowOf(dir, job))}`;
        first = false;
        if (chunk.length > 1 << 16) {
          write(chunk);
          chunk = '';
        }
      }
      write(`${chunk}\n]\n${JSON.stringify(columns.columns())}\n`);
    });
  } catch {
    // left to the next fold
  }
}

/** The index's summary, when it answers for the files as they are now. */
export function readIndexSummary(dir: string, now: IndexStamp | null): IndexedSummary | undefined {
  const text = readHead(join(dir, batchFiles.index));
  return text === undefined ? undefined : summaryIn(text, now);
}

/** The index's summary and every job, when it answers for the files as they are now and is whole. */
export function readIndex(dir: string, now: IndexStamp | null): { summary: IndexedSummary; jobs: JobInfo[] } | undefined {
  const index = openIndex(dir, now);
  if (!index) return undefined;
  const { bytes, head, last, summary } = index;
  let rows: unknown;
  try {
    // The rows, without the columns' line after them: one parse, not one per row.
    rows = JSON.parse(bytes.toString('utf8', head + 1, last));
  } catch {
    return undefined;
  }
  if (!Array.isArray(rows) || rows.length !== summary.counts.total) return undefined;
  const jobs: JobInfo[] = [];
  for (const row of rows) {
    const job = jobOfRow(dir, row);
    if (!job) return undefined;
    jobs.push(job);
  }
  return { summary, jobs };
}

/** The index read whole, with its summary when that answers for the files as they are now; `head` and `last`: where its first line and its last line begin, less one. */
function openIndex(dir: string, now: IndexStamp | null): { bytes: Buffer; head: number; last: number; summary: IndexedSummary } | undefined {
  if (!now) return undefined;
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(dir, batchFiles.index));
  } catch {
    return undefined;
  }
  const head = bytes.indexOf(0x0a);
  const last = bytes.lastIndexOf(0x0a, bytes.length - 2);
  const summary = head === -1 || last <= head ? undefined : summaryIn(bytes.toString('utf8', 0, head), now);
  return summary && { bytes, head, last, summary };
}

/** A settled batch's index read for ranking: the summary, the columns, and a job parsed only when asked for. */
export interface IndexColumns {
  readonly summary: IndexedSummary;
  readonly shape: ComparisonShape;
  /** Each job's status, in batch order. */
  readonly statuses: readonly JobStatus[];
  /** Each metric every job reported as a number or not at all: its values in batch order, null where a job did not report it. */
  readonly metrics: Readonly<Record<string, readonly (number | null)[]>>;
  /** The job at `place` in batch order; undefined when its row is damaged. */
  row(place: number): JobInfo | undefined;
}

/** The index's columns, when it answers for the files as they are now and is whole; its rows are parsed when asked for. */
export function readIndexColumns(dir: string, now: IndexStamp | null): IndexColumns | undefined {
  const index = openIndex(dir, now);
  if (!index) return undefined;
  const { bytes, head, last, summary } = index;
  const columns = columnsIn(bytes.toString('utf8', last + 1), summary.counts.total);
  if (!columns) return undefined;
  // Where each row starts: after the summary's line and the `[` line, one line each.
  const starts: number[] = [];
  for (let at = bytes.indexOf(0x0a, head + 1) + 1; at > 0 && at < last && starts.length <= summary.counts.total; at = bytes.indexOf(0x0a, at) + 1)
    starts.push(at);
  // The rows' lines and the `]` line after them.
  if (starts.length !== summary.counts.total + 1) return undefined;
  return {
    summary,
    ...columns,
    row: (place) => {
      const start = starts[place];
      const end = starts[place + 1];
      if (start === undefined || end === undefined) return undefined;
      const text = bytes.toString('utf8', start, end - 1);
      try {
        return jobOfRow(dir, JSON.parse(text.endsWith(',') ? text.slice(0, -1) : text));
      } catch {
        return undefined;
      }
    },
  };
}

const letters: Readonly<Record<JobStatus, string>> = { init: 'i', running: 'r', succeed: 's', failed: 'f', killed: 'k', pruned: 'p' };
const statusOfLetter = new Map(Object.entries(letters).map(([status, letter]) => [letter, status as JobStatus]));

/** The columns of an index, made a job at a time as its rows are written. */
class ColumnsBuilder {
  readonly #shape = new ShapeBuilder();
  #statuses = '';
  readonly #metrics = new Map<string, (number | null)[] | 'not numbers'>();
  #rows = 0;

  add(job: JobInfo): void {
    this.#shape.add(job);
    this.#statuses += letters[job.status];
    for (const key in job.metrics) {
      const value = job.metrics[key];
      let column = this.#metrics.get(key);
      if (column === undefined) {
        column = new Array<number | null>(this.#rows).fill(null);
        this.#metrics.set(key, column);
      }
      if (column === 'not numbers') continue;
      if (typeof value !== 'number') this.#metrics.set(key, 'not numbers');
      else column[this.#rows] = value;
    }
    this.#rows++;
    for (const column of this.#metrics.values()) if (column !== 'not numbers' && column.length < this.#rows) column.push(null);
  }

  columns(): { shape: ComparisonShape; statuses: string; metrics: Record<string, (number | null)[]> } {
    const metrics: Record<string, (number | null)[]> = {};
    for (const [key, column] of this.#metrics) if (column !== 'not numbers') metrics[key] = column;
    return { shape: this.#shape.shape(), statuses: this.#statuses, metrics };
  }
}

/** The columns' line read back and checked (`total`: the rows the summary counts). */
function columnsIn(line: string, total: number): Pick<IndexColumns, 'shape' | 'statuses' | 'metrics'> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isPlainObject(parsed) || !isPlainObject(parsed.shape) || typeof parsed.statuses !== 'string' || !isPlainObject(parsed.metrics)) return undefined;
  const { paramKeys, metricKeys, constants, varying } = parsed.shape;
  const texts = (list: unknown) => Array.isArray(list) && list.every((item) => typeof item === 'string');
  if (!texts(paramKeys) || !texts(metricKeys) || !texts(varying) || !isPlainObject(constants) || parsed.statuses.length !== total) return undefined;
  const statuses: JobStatus[] = [];
  for (const letter of parsed.statuses) {
    const status = statusOfLetter.get(letter);
    if (!status) return undefined;
    statuses.push(status);
  }
  for (const column of Object.values(parsed.metrics))
    if (!Array.isArray(column) || column.length !== total || !column.every((value) => value === null || typeof value === 'number')) return undefined;
  return { shape: parsed.shape as unknown as ComparisonShape, statuses, metrics: parsed.metrics as Record<string, (number | null)[]> };
}

function summaryIn(head: string, now: IndexStamp | null): IndexedSummary | undefined {
  if (!now) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(head);
  } catch {
    return undefined;
  }
  if (!isPlainObject(parsed) || parsed.v !== version || !isPlainObject(parsed.stamp) || !sameStamp(parsed.stamp as unknown as IndexStamp, now))
    return undefined;
  const { counts, started, ranking, stated } = parsed;
  if (!isPlainObject(counts) || typeof started !== 'boolean' || !isPlainObject(ranking) || !isPlainObject(stated)) return undefined;
  if (!['total', ...jobStatuses].every((key) => Number.isInteger(counts[key]))) return undefined;
  return parsed as unknown as IndexedSummary;
}

/** A row: the job's fields in a fixed order, its folder only when it is not the batch's folder and its name. */
type Row = [
  string,
  JobStatus,
  number | null,
  string | null,
  string | null,
  string | null,
  string | null,
  string | null,
  number | null,
  JobInfo['params'],
  Metrics | null,
  string | null,
];

function rowOf(dir: string, job: JobInfo): Row {
  return [
    job.name,
    job.status,
    job.exitCode,
    job.signal,
    job.host,
    job.reason,
    job.startedAt,
    job.endedAt,
    job.durationMs,
    job.params,
    job.metrics,
    job.dataDir === `${dir}${sep}${job.name}` ? null : job.dataDir,
  ];
}

const statuses = new Set<unknown>(jobStatuses);
const textOrNull = (value: unknown) => value === null || typeof value === 'string';
const numberOrNull = (value: unknown) => value === null || typeof value === 'number';

/** A row read back, checked field by field (a damaged index is folded again, never half trusted). */
function jobOfRow(dir: string, row: unknown): JobInfo | undefined {
  if (!Array.isArray(row) || row.length !== 12) return undefined;
  const [name, status, exitCode, signal, host, reason, startedAt, endedAt, durationMs, params, metrics, dataDir] = row as unknown[];
  if (typeof name !== 'string' || !statuses.has(status) || !numberOrNull(exitCode) || !numberOrNull(durationMs)) return undefined;
  if (![signal, host, reason, startedAt, endedAt, dataDir].every(textOrNull) || !isPlainObject(params) || !(metrics === null || isPlainObject(metrics)))
    return undefined;
  return {
    name,
    status: status as JobStatus,
    exitCode: exitCode as number | null,
    signal: signal as string | null,
    host: host as string | null,
    reason: reason as string | null,
    startedAt: startedAt as string | null,
    endedAt: endedAt as string | null,
    durationMs: durationMs as number | null,
    params: params as JobInfo['params'],
    dataDir: (dataDir as string | null) ?? `${dir}${sep}${name}`,
    metrics: metrics as Metrics | null,
  };
}

/** The first line of a file, read a chunk at a time: a listing of many batches reads no rows. */
function readHead(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const chunks: Buffer[] = [];
    const buffer = Buffer.allocUnsafe(1 << 16);
    for (let position = 0; ; ) {
      const read = readSync(fd, buffer, 0, buffer.length, position);
      if (read === 0) return undefined;
      const newline = buffer.subarray(0, read).indexOf(0x0a);
      chunks.push(Buffer.from(buffer.subarray(0, newline === -1 ? read : newline)));
      if (newline !== -1) return Buffer.concat(chunks).toString('utf8');
      position += read;
    }
  } finally {
    closeSync(fd);
  }
}
