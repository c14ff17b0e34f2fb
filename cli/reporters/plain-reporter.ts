import type { BatchEvent, BatchResult } from '../../src/index.js';
import type { ReporterEnv, RunReporter } from './reporter.js';
import { lastLines } from './stderr-tail.js';
import { jobLine, summaryText } from './summary.js';
import { TailPrinter } from './tail-printer.js';

/**
 * One line per finished job on stdout, messages on stderr: for pipes, logs and CI. The terminal
 * reporter is this one with a live block drawn below the lines.
 */
export class PlainReporter implements RunReporter {
  protected readonly env: ReporterEnv;
  protected readonly running = new Map<string, number>();
  protected batchName = '';
  protected toRun = 0;
  /** The last status of each job that ended in this run: a job counts once, as it ended last. */
  readonly #ended = new Map<string, string>();
  readonly #counts = { failed: 0, killed: 0, pruned: 0 } as Record<string, number>;
  /** Durations of the jobs that ended, summed, for the estimate of what is left. */
  protected endedMs = 0;
  /** Set once no more jobs start (a stop, a halt, a signal). */
  protected stopping = false;
  /** While the batch is paused: no job starts. */
  protected paused = false;
  protected startedAt = Date.now();
  readonly #tail: TailPrinter;

  constructor(env: ReporterEnv) {
    this.env = env;
    this.#tail = new TailPrinter(env.stdout, env.style, (text) => this.say(env.stdout, text));
  }

  /** Jobs of this run that have ended, each once. */
  protected get done(): number {
    return this.#ended.size;
  }

  protected get failed(): number {
    return this.#counts.failed!;
  }

  protected get killed(): number {
    return this.#counts.killed!;
  }

  protected get pruned(): number {
    return this.#counts.pruned!;
  }

  /** Sets (or, with undefined, clears: it runs again) a job's last status. */
  #setEnded(job: string, status: string | undefined): void {
    const before = this.#ended.get(job);
    if (before !== undefined && before in this.#counts) this.#counts[before]!--;
    if (status === undefined) this.#ended.delete(job);
    else {
      this.#ended.set(job, status);
      if (status in this.#counts) this.#counts[status]!++;
    }
  }

  /** Where job lines and the summary go. */
  protected get main(): NodeJS.WritableStream {
    return this.env.stdout;
  }

  /** Writes a line that stays. */
  protected say(stream: NodeJS.WritableStream, line: string): void {
    stream.write(`${line}\n`);
  }

  /** Whether a finished job gets a line of its own. */
  protected printsJob(_status: string): boolean {
    return true;
  }

  onEvent(event: BatchEvent): void {
    const { style, stderr } = this.env;
    switch (event.type) {
      case 'batch:start': {
        // A batch served after its end may start again (jobs retried or added): each start counts afresh.
        this.batchName = event.batch;
        this.toRun = event.toRun;
        this.startedAt = Date.now();
        this.#ended.clear();
        for (const status of Object.keys(this.#counts)) this.#counts[status] = 0;
        this.endedMs = 0;
        this.stopping = false;
        const slots = Number.isFinite(event.slots) ? `on ${event.slots} slot${event.slots === 1 ? '' : 's'}` : 'as capacity allows';
        if (event.portal) this.say(stderr, style.dim(`daemon: ${event.portal} · dashboard: hyperctl batch dashboard ${event.batch}`));
        this.say(
          this.main,
          `batch ${style.bold(event.batch)}: ${event.total} job${event.total === 1 ? '' : 's'}, ${event.skipped} already succeeded${event.pruned ? `, ${event.pruned} pruned before` : ''}, ${event.toRun} to run ${slots} · ${style.dim(event.dataDir)}`,
        );
        break;
      }
      case 'job:start':
        this.running.set(event.job, event.at);
        // A job that ended and runs again (a retry) is not done until it ends again.
        this.#setEnded(event.job, undefined);
        break;
      case 'job:output':
        if (this.env.tail) this.#tail.output(event.job, event.stream, event.chunk);
        break;
      case 'job:exit':
        this.running.delete(event.job.name);
        if (this.env.tail) this.#tail.flush(event.job.name);
        this.#setEnded(event.job.name, event.job.status);
        this.endedMs += event.job.durationMs ?? 0;
        if (this.printsJob(event.job.status)) {
          const tail = event.job.status === 'failed' ? lastLines(event.job.stderrPath, 5, Math.max(20, this.env.columns() - 6)) : [];
          this.say(this.main, [jobLine(event.job, this.done, this.toRun, style), ...tail.map((line) => style.dim(`    ${line}`))].join('\n'));
        }
        break;
      case 'batch:stopping':
        this.stopping = true;
        this.say(
          stderr,
          style.yellow(`stopping: ${event.reason}; ${event.kill ? 'killing the running jobs' : 'letting the running jobs finish'}, starting no more`),
        );
        break;
      case 'batch:steer':
        this.paused = event.paused;
        this.toRun += event.queued;
        this.say(stderr, style.yellow(event.change));
        break;
      case 'warning':
        this.say(stderr, style.yellow(`warning: ${event.message}`));
        break;
      case 'host:down':
        this.say(stderr, style.yellow(`${event.host} is left out: ${withoutMachineName(event.reason, event.host)}`));
        break;
      case 'host:up':
        this.say(stderr, `${event.host} is back`);
        break;
      case 'host:upload':
        this.say(
          stderr,
          event.sent
            ? `${event.host}: uploaded ${(event.bytes / 1024 / 1024).toFixed(1)} MB in ${(event.ms / 1000).toFixed(1)}s`
            : `${event.host}: the upload is there already (${event.ms} ms)`,
        );
        break;
      case 'job:retry':
        this.running.delete(event.job);
        this.say(stderr, style.yellow(`${event.job}: ${event.reason}; running it again (retry ${event.attempt})`));
        break;
      case 'daemon:serving':
        this.say(
          stderr,
          [
            `batch ${this.batchName} is done; its dashboard stays up at ${event.dashboard}`,
            `Ctrl-C or "hyperctl batch stop ${this.batchName}" ends it (--exit-on-finish or daemon.exit_on_finish: true to exit when the jobs end)`,
          ].join('\n'),
        );
        break;
    }
  }

  interrupting(signal: string): void {
    this.stopping = true;
    const n = this.running.size;
    this.say(this.env.stderr, this.env.style.yellow(`${signal}: stopping, killing ${n} running job${n === 1 ? '' : 's'}…`));
  }

  finish(result: BatchResult): void {
    this.close();
    this.main.write(summaryText(result, this.env.style));
  }

  close(): void {}
}

/** A reason without the machine's name it may begin with (`machine a: …`, `a (a:22): …`), which the line already says. */
function withoutMachineName(reason: string, host: string): string {
  const name = host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return reason.replace(new RegExp(`^(machine )?${name}( \\([^)]*\\))?: `), '');
}
