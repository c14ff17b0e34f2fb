import type { BatchEvent } from '../../src/index.js';
import { formatDuration } from '../style.js';
import { PlainReporter } from './plain-reporter.js';

/**
 * On a terminal: a live status block on stderr (done, running, failed, elapsed, ETA, the running
 * jobs' names), redrawn as jobs change and five times a second; lines for what needs attention
 * (failed jobs, warnings) stay above it.
 */
export class TtyReporter extends PlainReporter {
  #drawn = 0;
  #timer: NodeJS.Timeout | undefined;

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
    super.onEvent(event);
    if (event.type === 'batch:start') this.#timer = setInterval(() => this.#draw(), 200).unref();
    if (event.type === 'job:start' || event.type === 'job:exit') this.#draw();
  }

  override close(): void {
    clearInterval(this.#timer);
    this.#clear();
  }

  #clear(): void {
    if (this.#drawn > 0) this.env.stderr.write(`\r${this.#drawn > 1 ? `\u001b[${this.#drawn - 1}A` : ''}\u001b[J`);
    this.#drawn = 0;
  }

  #draw(): void {
    const { style, columns } = this.env;
    this.#clear();
    const elapsed = Date.now() - this.startedAt;
    const eta = this.done > 0 && this.toRun > this.done ? ` · ETA ${formatDuration((elapsed / this.done) * (this.toRun - this.done))}` : '';
    const width = Math.max(40, columns);
    const failed = this.failed > 0 ? style.red(`${this.failed} failed`) : '0 failed';
    const head = `${this.done}/${this.toRun} done · ${this.running.size} running · ${failed} · ${formatDuration(elapsed)}${eta}`;
    const names = [...this.running.keys()].join(', ');
    const line2 = names ? style.dim(`running: ${names.length > width - 10 ? `${names.slice(0, width - 11)}…` : names}`) : '';
    this.env.stderr.write(line2 ? `${head}\n${line2}` : head);
    this.#drawn = line2 ? 2 : 1;
  }
}
