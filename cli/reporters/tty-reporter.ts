import cliTruncate from 'cli-truncate';
import type { BatchEvent } from '../../src/index.js';
import { formatDuration } from '../style.js';
import { estimateRemainingMs } from './eta.js';
import { PlainReporter } from './plain-reporter.js';

/**
 * On a terminal: a live status block on stderr (done, running, failed, killed, elapsed, ETA, the
 * running jobs' names), redrawn as jobs change and five times a second; lines for what needs
 * attention (failed jobs, warnings) stay above it. Every line of the block fits the terminal's
 * width, so redrawing never leaves wrapped pieces behind.
 */
export class TtyReporter extends PlainReporter {
  #drawn = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Uploads under way: how far each machine's has come. */
  readonly #uploads = new Map<string, { sent: number; total: number }>();

  protected override get main(): NodeJS.WritableStream {
    return this.env.stderr;
  }

  protected override say(stream: NodeJS.WritableStream, line: string): void {
    this.#clear();
    stream.write(`${line}\n`);
    this.#draw();
  }

  protected override printsJob(status: string): boolean {
    return status !== 'succeed';
  }

  override onEvent(event: BatchEvent): void {
    // A batch served after its end may start again (jobs retried or added): its block comes back.
    if (event.type === 'batch:start') this.#closed = false;
    super.onEvent(event);
    if (event.type === 'batch:start') {
      clearInterval(this.#timer);
      this.#timer = setInterval(() => this.#draw(), 200).unref();
    }
    if (event.type === 'job:start' || event.type === 'job:exit') this.#draw();
    if (event.type === 'host:upload-progress') {
      this.#uploads.set(event.host, { sent: event.sent, total: event.total });
      this.#draw();
    }
    if (event.type === 'host:upload') {
      this.#uploads.delete(event.host);
      this.#draw();
    }
  }

  override interrupting(signal: string): void {
    super.interrupting(signal);
    this.#draw();
  }

  override close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#clear();
  }

  #clear(): void {
    if (this.#drawn > 0) this.env.stderr.write(`\r${this.#drawn > 1 ? `\u001b[${this.#drawn - 1}A` : ''}\u001b[J`);
    this.#drawn = 0;
  }

  #draw(): void {
    // Once the run has ended (the summary is out), lines still said stay plain, with no block under them.
    if (this.#closed) return;
    const { style } = this.env;
    this.#clear();
    const now = Date.now();
    const pending = this.stopping ? 0 : Math.max(0, this.toRun - this.done - this.running.size);
    const left = estimateRemainingMs({ now, runningSince: [...this.running.values()], finishedMs: this.endedMs, finished: this.done, pending });
    const parts = [
      `${this.done}/${this.toRun} done`,
      `${this.running.size} running`,
      this.failed > 0 ? style.red(`${this.failed} failed`) : '0 failed',
      ...(this.killed > 0 ? [style.yellow(`${this.killed} killed`)] : []),
      ...(this.pruned > 0 ? [`${this.pruned} pruned`] : []),
      formatDuration(now - this.startedAt),
      ...(this.stopping ? [style.yellow('stopping')] : this.paused ? [style.yellow('paused')] : []),
      ...(left !== undefined && (pending > 0 || this.running.size > 0) ? [`ETA ${formatDuration(left)}`] : []),
    ];
    // The last column of a terminal wraps on some terminals: keep one free.
    const width = Math.max(20, this.env.columns() - 1);
    const lines = [cliTruncate(parts.join(' · '), width)];
    if (this.#uploads.size > 0) {
      const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
      const each = [...this.#uploads].map(([host, { sent, total }]) => `${host} ${mb(sent)}/${mb(total)} MB`);
      lines.push(cliTruncate(`uploading: ${each.join(' · ')}`, width));
    }
    if (this.running.size > 0) lines.push(style.dim(cliTruncate(`running: ${[...this.running.keys()].join(', ')}`, width)));
    this.env.stderr.write(lines.join('\n'));
    this.#drawn = lines.length;
  }
}
