import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { metricsMarker } from './marker.js';
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
  #partial = '';
  // Keeps a character split across two reads whole.
  #decoder = new StringDecoder('utf8');
  readonly #fromStdout: MetricsReport[] = [];
  /**
   * Whether a file of reports posted to the daemon may exist. A run that follows its job from the
   * start knows (it sets this on each post); otherwise it is read if there.
   */
  posted = true;

  constructor(dataDir: string) {
    this.#dataDir = dataDir;
  }

  /** Reads what is new and returns the job's metrics, or undefined when it reported none. */
  async read(): Promise<JobMetrics | undefined> {
    await this.#readStdout();
    const posted = this.posted ? await readLines(join(this.#dataDir, metricsFiles.posted)) : [];
    const final = await readFile(join(this.#dataDir, metricsFiles.final), 'utf8').then(parseMetrics, () => undefined);
    const reports = [...this.#fromStdout, ...posted, ...(final ? [final] : [])];
    if (reports.length === 0) return undefined;
    const last: Record<string, number | string> = {};
    const history: { step: number; values: Metrics }[] = [];
    reports.forEach((report, i) => {
      Object.assign(last, report.values);
      if (history.length < maxHistory) history.push({ step: report.step ?? i, values: report.values });
    });
    return { last, history };
  }

  async #readStdout(): Promise<void> {
    let handle;
    try {
      handle = await open(join(this.#dataDir, 'stdout'), 'r');
    } catch {
      return;
    }
    try {
      const { size } = await handle.stat();
      // A file that shrank was written anew (the job ran again): start over.
      if (size < this.#offset) this.#reset();
      while (this.#offset < size) {
        const buffer = Buffer.alloc(Math.min(1 << 20, size - this.#offset));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.#offset);
        if (bytesRead === 0) break;
        this.#offset += bytesRead;
        this.#scan(this.#decoder.write(buffer.subarray(0, bytesRead)));
      }
    } finally {
      await handle.close();
    }
  }

  #scan(text: string): void {
    const lines = (this.#partial + text).split('\n');
    this.#partial = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith(metricsMarker)) continue;
      const report = parseMetrics(line.slice(metricsMarker.length));
      if (report && this.#fromStdout.length < maxHistory) this.#fromStdout.push(report);
    }
  }

  #reset(): void {
    this.#offset = 0;
    this.#partial = '';
    this.#decoder = new StringDecoder('utf8');
    this.#fromStdout.length = 0;
  }
}

async function readLines(file: string): Promise<MetricsReport[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').flatMap((line) => parseMetrics(line) ?? []);
}
