import { statSync } from 'node:fs';
import { type FileHandle, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MarkerLineScanner } from './marker-lines.js';
import { parseMetrics, type Metrics, type MetricsReport } from './metrics-line.js';

/** A job's metrics: the last value of each, and every report in order, with its step. */
export interface JobMetrics {
  readonly last: Metrics;
  readonly history: readonly { readonly step: number; readonly values: Metrics }[];
}

/** Files in a job's data folder that carry metrics besides its stdout. */
export const metricsFiles = {
  /** Written by the job, read when it ends (and whenever asked): the final word. */
  final: 'metrics.json',
  /** Reports that reached the daemon over HTTP, one JSON line each. */
  posted: 'metrics-posted.jsonl',
} as const;

/** Most history kept per job, so a job that reports every step cannot fill the runner's memory. */
const maxHistory = 10_000;

/**
 * Follows one job's metrics from all three channels: `hyperctl:metrics` lines on its stdout (read
 * incrementally, only what was written since the last look), reports posted to the daemon, and a
 * `metrics.json` it leaves. The last value of each metric wins; `metrics.json` wins over all.
 */
export class MetricsTracker {
  readonly #dataDir: string;
  #offset = 0;
  readonly #fromStdout: MetricsReport[] = [];
  readonly #scanner = new MarkerLineScanner((json) => {
    const report = parseMetrics(json);
    if (!report || this.#fromStdout.length >= maxHistory) return;
    this.#fromStdout.push(report);
    this.#onReport?.(report.step ?? this.#fromStdout.length, report.values);
  });
  /** Told of each report read from stdout, as it is read, with its step. */
  readonly #onReport: ((step: number, values: Metrics) => void) | undefined;
  /**
   * Whether a file of reports posted to the daemon may exist. A run that follows its job from the
   * start knows (it sets this on each post); otherwise it is read if there.
   */
  posted = true;

  constructor(dataDir: string, onReport?: (step: number, values: Metrics) => void) {
    this.#dataDir = dataDir;
    this.#onReport = onReport;
  }

  /** One look at the files at a time: two would both read from the same offset. */
  #looking: Promise<unknown> = Promise.resolve();

  /** Reads what is new and returns the job's metrics, or undefined when it reported none. */
  read(): Promise<JobMetrics | undefined> {
    return this.#inTurn(() => this.#read());
  }

  /** Scans what the job wrote to stdout since the last look, if anything: called while it runs. */
  catchUp(): Promise<void> {
    return this.#inTurn(() => this.#readStdout());
  }

  #inTurn<T>(look: () => Promise<T>): Promise<T> {
    const turn = this.#looking.then(look);
    this.#looking = turn.catch(() => undefined);
    return turn;
  }

  async #read(): Promise<JobMetrics | undefined> {
    await this.#readStdout();
    const posted = this.posted ? await readLines(join(this.#dataDir, metricsFiles.posted)) : [];
    const final = await readFinal(join(this.#dataDir, metricsFiles.final));
    const reports = [...this.#fromStdout, ...posted, ...(final ? [final] : [])];
    if (reports.length === 0) return undefined;
    const last: Record<string, number | string> = {};
    const history: { step: number; values: Metrics }[] = [];
    reports.forEach((report, i) => {
      Object.assign(last, report.values);
      // A report without `_step` is step n, the count of reports so far.
      if (history.length < maxHistory) history.push({ step: report.step ?? i + 1, values: report.values });
    });
    return { last, history };
  }

  async #readStdout(): Promise<void> {
    const file = join(this.#dataDir, 'stdout');
    // A look with nothing new (most looks, and every job that prints nothing) costs one stat, taken
    // at once: a run of many short jobs makes one per job and per look. A file that shrank goes on
    // to be read anew.
    if ((sizeOf(file) ?? 0) === this.#offset) return;
    let handle: FileHandle;
    try {
      handle = await open(file, 'r');
    } catch {
      return;
    }
    try {
      const { size } = await handle.stat();
      // A file that shrank was written anew (the job ran again): start over.
      if (size < this.#offset) this.#reset();
      const buffer = Buffer.allocUnsafe(Math.min(1 << 20, Math.max(1, size - this.#offset)));
      while (this.#offset < size) {
        const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, size - this.#offset), this.#offset);
        if (bytesRead === 0) break;
        this.#offset += bytesRead;
        this.#scanner.push(buffer.subarray(0, bytesRead));
      }
    } finally {
      await handle.close();
    }
  }

  #reset(): void {
    this.#offset = 0;
    this.#scanner.reset();
    this.#fromStdout.length = 0;
  }
}

/** The largest `metrics.json` read: one report of metrics, not a dump. */
export const maxMetricsFileBytes = 1 << 20;

/** A file's size, or undefined when it cannot be read. */
function sizeOf(file: string): number | undefined {
  try {
    return statSync(file, { throwIfNoEntry: false })?.size;
  } catch {
    return undefined;
  }
}

async function readFinal(file: string): Promise<MetricsReport | undefined> {
  const size = sizeOf(file);
  if (size === undefined || size > maxMetricsFileBytes) return undefined;
  return readFile(file, 'utf8').then(parseMetrics, () => undefined);
}

async function readLines(file: string): Promise<MetricsReport[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').flatMap((line) => parseMetrics(line) ?? []);
}
