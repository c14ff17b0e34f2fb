import type { BatchEvent, BatchResult, JobResult } from '../../src/index.js';
import { formatDuration, styleFor, type Style } from '../style.js';

export type ReportMode = 'tty' | 'plain' | 'json';

export interface RunReporter {
  readonly onEvent: (event: BatchEvent) => void;
  /** Says on screen that the run is being interrupted. */
  interrupting(signal: string): void;
  /** Stops live drawing; prints the summary (or the JSON document). */
  finish(result: BatchResult): void;
  /** Stops live drawing, whatever happened. */
  close(): void;
}

interface Streams {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
}

/**
 * Shows a run: a live status block on a terminal, one plain line per finished job otherwise, or
 * only the final JSON document with `--json`. With `tail`, job output lines go to stdout
 * prefixed by the job name.
 */
export function createRunReporter(mode: ReportMode, tail: boolean, streams: Streams = process): RunReporter {
  const out = streams.stdout;
  const err = streams.stderr;
  const style = styleFor(mode === 'tty' ? err : out);
  const running = new Map<string, number>();
  const partial = new Map<string, string>();
  let batchName = '';
  let total = 0;
  let toRun = 0;
  let done = 0;
  let failed = 0;
  let startedAt = Date.now();
  let drawn = 0;
  let timer: NodeJS.Timeout | undefined;

  const clear = () => {
    if (drawn > 0) err.write(`\r${drawn > 1 ? `\u001b[${drawn - 1}A` : ''}\u001b[J`);
    drawn = 0;
  };
  const draw = () => {
    if (mode !== 'tty') return;
    clear();
    const elapsed = Date.now() - startedAt;
    const eta = done > 0 && toRun > done ? ` · ETA ${formatDuration((elapsed / done) * (toRun - done))}` : '';
    const width = Math.max(40, err.columns ?? 80);
    const head = `${done}/${toRun} done · ${running.size} running · ${failed > 0 ? style.red(`${failed} failed`) : '0 failed'} · ${formatDuration(elapsed)}${eta}`;
    const names = [...running.keys()].join(', ');
    const line2 = names ? style.dim(`running: ${names.length > width - 10 ? `${names.slice(0, width - 11)}…` : names}`) : '';
    err.write(line2 ? `${head}\n${line2}` : head);
    drawn = line2 ? 2 : 1;
  };
  /** Writes a permanent line, keeping the live block below it. */
  const say = (stream: NodeJS.WriteStream, line: string) => {
    if (mode === 'json') return;
    clear();
    stream.write(`${line}\n`);
    draw();
  };

  const onEvent = (event: BatchEvent) => {
    switch (event.type) {
      case 'batch:start':
        ({ total, toRun, batch: batchName } = event);
        startedAt = Date.now();
        if (event.portal) say(err, style.dim(`daemon: ${event.portal} · dashboard: hyperctl batch dashboard ${event.batch}`));
        say(
          mode === 'tty' ? err : out,
          `batch ${style.bold(event.batch)}: ${total} job${total === 1 ? '' : 's'}, ${event.skipped} already succeeded, ${toRun} to run ${Number.isFinite(event.slots) ? `on ${event.slots} slot${event.slots === 1 ? '' : 's'}` : 'as capacity allows'} · ${style.dim(event.dataDir)}`,
        );
        if (mode === 'tty') timer = setInterval(draw, 200).unref();
        break;
      case 'job:start':
        running.set(event.job, event.at);
        if (mode === 'tty') draw();
        break;
      case 'job:output':
        if (tail) tailOutput(event.job, event.stream, event.chunk);
        break;
      case 'job:exit':
        running.delete(event.job.name);
        flushPartial(event.job.name);
        done++;
        if (event.job.status !== 'succeed') failed++;
        if (mode === 'plain' || event.job.status !== 'succeed') say(mode === 'tty' ? err : out, jobLine(event.job, done, toRun, style));
        else draw();
        break;
      case 'batch:end':
        break;
      case 'warning':
        say(err, style.yellow(`warning: ${event.message}`));
        break;
      case 'host:down':
        say(err, style.yellow(`${event.host} is left out: ${event.reason}`));
        break;
      case 'host:up':
        say(err, `${event.host} is back`);
        break;
      case 'job:retry':
        running.delete(event.job);
        say(err, style.yellow(`${event.job}: ${event.reason}; running it again (retry ${event.attempt})`));
        break;
      case 'daemon:serving':
        say(
          err,
          `the batch has ended; its daemon still serves ${event.url} (Ctrl-C, SIGTERM or "hyperctl batch stop ${batchName}" to stop; daemon.exit_on_finish: true or --exit-on-finish exits by itself)`,
        );
        break;
    }
  };

  let unshown = 0;
  const tailOutput = (job: string, stream: 'stdout' | 'stderr', chunk: Buffer) => {
    const key = `${job}\u0000${stream}`;
    // A reader that is behind (a slow pipe) would make the runner hold every line it has not taken:
    // tailing skips output then, which stays whole in the job's files.
    if (out.writableLength > maxTailBacklog) {
      unshown += chunk.length;
      partial.delete(key);
      return;
    }
    if (unshown > 0) {
      say(out, style.dim(`[…] ${unshown} bytes of output not shown here, the reader was behind; "hyperctl job logs" has them`));
      unshown = 0;
    }
    const lines = ((partial.get(key) ?? '') + chunk.toString('utf8')).split('\n');
    let rest = lines.pop()!;
    // A line without end (a progress bar, a job printing megabytes at once) is shown in pieces, never held whole.
    if (rest.length > maxTailLine) {
      lines.push(rest);
      rest = '';
    }
    partial.set(key, rest);
    // One write per chunk, not per line: a job printing short lines at full speed is not slowed by its prefixes.
    const prefix = `${style.dim(`[${job}]`)} `;
    if (lines.length > 0) say(out, `${prefix}${lines.join(`\n${prefix}`)}`);
  };
  const flushPartial = (job: string) => {
    for (const stream of ['stdout', 'stderr']) {
      const key = `${job}\u0000${stream}`;
      const rest = partial.get(key);
      if (rest) say(out, `${style.dim(`[${job}]`)} ${rest}`);
      partial.delete(key);
    }
  };

  return {
    onEvent,
    interrupting(signal) {
      say(err, style.yellow(`${signal}: stopping, killing ${running.size} running job${running.size === 1 ? '' : 's'}…`));
    },
    close() {
      if (timer) clearInterval(timer);
      clear();
    },
    finish(result) {
      if (timer) clearInterval(timer);
      clear();
      if (mode === 'json') {
        out.write(`${JSON.stringify(summaryJson(result), null, 2)}\n`);
        return;
      }
      const stream = mode === 'tty' ? err : out;
      const c = result.counts;
      const word = result.status === 'succeed' ? style.green('succeeded') : result.status === 'interrupted' ? style.yellow('interrupted') : style.red('failed');
      stream.write(
        `batch ${style.bold(result.name)} ${word}: ${c.succeed} succeed (${c.skipped} skipped), ${c.failed} failed, ${c.killed} killed${c.init ? `, ${c.init} not started` : ''} in ${formatDuration(result.durationMs)}\n`,
      );
      const bad = result.jobs.filter((j) => j.status === 'failed' || j.status === 'killed');
      for (const job of bad.slice(0, 10)) stream.write(`  ${job.status} ${job.name}: ${job.reason ?? exitText(job)} · ${style.dim(job.stderrPath)}\n`);
      if (bad.length > 10) stream.write(`  … and ${bad.length - 10} more\n`);
    },
  };
}

/** Characters of an unfinished output line held for `--tail` before it is printed as it is. */
const maxTailLine = 64 * 1024;
/** Bytes waiting to be written to stdout past which `--tail` skips output instead of holding it. */
const maxTailBacklog = 4 * 1024 * 1024;

function exitText(job: JobResult): string {
  return job.signal ? `signal ${job.signal}` : `exit code ${job.exitCode}`;
}

function jobLine(job: JobResult, done: number, toRun: number, style: Style): string {
  const width = String(toRun).length;
  const status = job.status === 'succeed' ? style.green('succeed') : job.status === 'killed' ? style.yellow('killed') : style.red('failed');
  const detail = job.status === 'succeed' ? '' : ` (${job.reason ?? exitText(job)})`;
  return `[${String(done).padStart(width)}/${toRun}] ${status} ${job.name} ${style.dim(formatDuration(job.durationMs ?? 0))}${detail}`;
}

/** The `--json` document of a run. */
export function summaryJson(result: BatchResult): unknown {
  return {
    name: result.name,
    status: result.status,
    dataDir: result.dataDir,
    counts: result.counts,
    startedAt: new Date(result.startedAt).toISOString(),
    durationMs: result.durationMs,
    jobs: result.jobs.map((j) => ({
      name: j.name,
      status: j.status,
      exitCode: j.exitCode,
      signal: j.signal,
      skipped: j.skipped,
      ...(j.reason ? { reason: j.reason } : {}),
      ...(j.durationMs !== undefined ? { durationMs: j.durationMs } : {}),
      params: j.params,
      dataDir: j.dataDir,
    })),
  };
}
