import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import PQueue from 'p-queue';
import type { BatchSpec, JobSpec } from '../batch/spec.js';
import type { JobStatus } from '../batch/types.js';
import { HyperctlError } from '../errors.js';
import type { Executor, JobExit } from '../executors/executor.js';
import { LocalExecutor } from '../executors/local.js';
import { terminateGroup } from '../executors/process-group.js';
import { BatchStore } from '../store/batch-store.js';
import type { ExitRecord } from '../store/journal.js';
import { isAlive } from '../store/process-identity.js';
import type { BatchCounts, BatchEvent, BatchResult, JobResult } from './events.js';
import { jobEnvironment } from './job-env.js';
import type { RunBatchOptions } from './options.js';

/**
 * One run of a batch: decides what to run, schedules jobs on executor slots with p-queue, records
 * every start and exit in the store, and kills on request.
 */
export class BatchRun {
  readonly #spec: BatchSpec;
  readonly #options: RunBatchOptions;
  readonly #results = new Map<string, JobResult>();
  readonly #running = new Map<string, AbortController>();
  readonly #stop = new AbortController();
  #listenerError: unknown;

  constructor(spec: BatchSpec, options: RunBatchOptions) {
    this.#spec = spec;
    this.#options = options;
  }

  async run(): Promise<BatchResult> {
    const outer = this.#options.signal;
    if (outer?.aborted) throw aborted(outer.reason);
    const executors = this.#options.executors ?? [this.#defaultExecutor()];
    const store = BatchStore.open(this.#spec);
    const onOuterAbort = () => this.#stop.abort(outer?.reason);
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    let result: BatchResult | undefined;
    try {
      await this.#cleanUpOrphans(store);
      const toRun = this.#jobsToRun(store);
      const slots = executors.reduce((sum, e) => sum + e.slots, 0);
      this.#emit({ type: 'batch:start', batch: this.#spec.name, dataDir: this.#spec.dataDir, total: this.#spec.jobs.length, toRun: toRun.length, skipped: this.#spec.jobs.length - toRun.length, slots });
      await this.#schedule(toRun, executors, store);
    } finally {
      outer?.removeEventListener('abort', onOuterAbort);
      const interrupted = this.#stop.signal.aborted;
      store.close(interrupted);
      await Promise.allSettled(executors.map((e) => e.close?.()));
      result = this.#result(store.startedAt, interrupted);
      this.#emit({ type: 'batch:end', result });
    }
    if (this.#listenerError !== undefined) throw this.#listenerError;
    if (result.status === 'interrupted') throw aborted(outer?.reason);
    return result;
  }

  /** Kills one running job; false when it is not running. */
  killJob(name: string): boolean {
    const controller = this.#running.get(name);
    controller?.abort();
    return controller !== undefined;
  }

  #defaultExecutor(): Executor {
    const backend = this.#spec.backend;
    if (backend.type !== 'local') throw new HyperctlError('E_BACKEND_UNSUPPORTED', `backend.type: "${backend.type}" is not supported by this version; use "local"`);
    return new LocalExecutor({ slots: backend.parallelism, ...(this.#options.killGraceMs !== undefined ? { killGraceMs: this.#options.killGraceMs } : {}) });
  }

  /** Jobs that were running when an earlier runner died may still run: end them before running them again. */
  async #cleanUpOrphans(store: BatchStore): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const record of store.previous.values()) {
      if (record.e === 'start' && record.pid !== undefined && record.host === 'local' && isAlive({ pid: record.pid, startTicks: record.ticks ?? null })) {
        waits.push(terminateGroup(record.pid, this.#options.killGraceMs ?? 5000));
      }
    }
    await Promise.all(waits);
  }

  #jobsToRun(store: BatchStore): JobSpec[] {
    const toRun: JobSpec[] = [];
    for (const job of this.#spec.jobs) {
      const before = store.previous.get(job.name);
      if (!this.#options.force && before?.e === 'exit' && before.status === 'succeed' && before.hash === job.hash) {
        this.#results.set(job.name, { ...this.#baseResult(job), ...timing(before), status: 'succeed', exitCode: 0, skipped: true, ...(before.host ? { host: before.host } : {}) });
      } else toRun.push(job);
    }
    return toRun;
  }

  async #schedule(jobs: readonly JobSpec[], executors: readonly Executor[], store: BatchStore): Promise<void> {
    const free = executors.flatMap((executor) => Array.from({ length: executor.slots }, () => executor));
    const slots = free.length;
    const queue = new PQueue({ concurrency: slots });
    const stopped = this.#stop.signal;
    const whenStopped = onAbort(stopped);
    for (const job of jobs) {
      // Feed the queue a little ahead of the slots, so a huge batch never sits in it at once.
      if (queue.size >= slots) await Promise.race([queue.onSizeLessThan(slots), whenStopped]);
      if (stopped.aborted) break;
      void queue.add(async () => {
        const executor = free.pop()!;
        try {
          if (!stopped.aborted) await this.#runJob(job, executor, store);
        } finally {
          free.push(executor);
        }
      });
    }
    await queue.onIdle();
  }

  async #runJob(job: JobSpec, executor: Executor, store: BatchStore): Promise<void> {
    const controller = new AbortController();
    const stop = () => controller.abort();
    this.#stop.signal.addEventListener('abort', stop, { once: true });
    this.#running.set(job.name, controller);
    const startedAt = Date.now();
    let exit: JobExit;
    try {
      mkdirSync(job.dataDir, { recursive: true });
      const paramsFile = join(job.dataDir, 'params.json');
      const paramsJson = JSON.stringify(job.params);
      writeFileSync(paramsFile, paramsJson);
      const capture = this.#options.captureOutput;
      exit = await executor.run(
        {
          name: job.name,
          batchName: this.#spec.name,
          command: job.command,
          params: job.params,
          workingDir: job.workingDir,
          dataDir: job.dataDir,
          env: jobEnvironment(this.#spec, job, paramsFile, paramsJson),
          stdoutPath: join(job.dataDir, 'stdout'),
          stderrPath: join(job.dataDir, 'stderr'),
          ...(capture ? { onOutput: (stream: 'stdout' | 'stderr', chunk: Buffer) => this.#emit({ type: 'job:output', job: job.name, stream, chunk }) } : {}),
          onSpawn: ({ pid, startTicks }) => {
            store.record({ e: 'start', job: job.name, hash: job.hash, at: startedAt, pid, ticks: startTicks, host: executor.host });
            this.#emit({ type: 'job:start', job: job.name, host: executor.host, pid, at: startedAt });
          },
        },
        controller.signal,
      );
    } catch (error) {
      exit = { exitCode: null, signal: null, killed: controller.signal.aborted, reason: `${executor.host}: ${(error as Error).message}` };
    } finally {
      this.#stop.signal.removeEventListener('abort', stop);
      this.#running.delete(job.name);
    }
    const status: JobStatus = exit.killed ? 'killed' : exit.exitCode === 0 ? 'succeed' : 'failed';
    const record: ExitRecord = {
      e: 'exit', job: job.name, hash: job.hash, status, code: exit.exitCode, signal: exit.signal, startedAt, at: Date.now(), host: executor.host,
      ...(exit.reason ? { reason: exit.reason } : {}),
    };
    store.record(record);
    const result: JobResult = { ...this.#baseResult(job), ...timing(record), status, exitCode: exit.exitCode, signal: exit.signal, host: executor.host, ...(exit.reason ? { reason: exit.reason } : {}) };
    this.#results.set(job.name, result);
    this.#emit({ type: 'job:exit', job: result });
  }

  #baseResult(job: JobSpec): JobResult {
    return { name: job.name, status: 'init', exitCode: null, signal: null, skipped: false, params: job.params, dataDir: job.dataDir, stdoutPath: join(job.dataDir, 'stdout'), stderrPath: join(job.dataDir, 'stderr') };
  }

  #result(startedAt: number, interrupted: boolean): BatchResult {
    const jobs = this.#spec.jobs.map((job) => this.#results.get(job.name) ?? this.#baseResult(job));
    const counts: Record<keyof BatchCounts, number> = { total: jobs.length, succeed: 0, failed: 0, killed: 0, init: 0, skipped: 0 };
    for (const job of jobs) {
      if (job.skipped) counts.skipped++;
      if (job.status !== 'running') counts[job.status]++;
    }
    const endedAt = Date.now();
    const status = interrupted ? 'interrupted' : counts.succeed === counts.total ? 'succeed' : 'failed';
    return { name: this.#spec.name, dataDir: this.#spec.dataDir, status, counts, jobs, startedAt, endedAt, durationMs: endedAt - startedAt };
  }

  #emit(event: BatchEvent): void {
    if (!this.#options.onEvent || this.#listenerError !== undefined) return;
    try {
      this.#options.onEvent(event);
    } catch (error) {
      this.#listenerError = error;
      this.#stop.abort(error);
    }
  }
}

function timing(record: { startedAt: number; at: number }): Pick<JobResult, 'startedAt' | 'endedAt' | 'durationMs'> {
  return { startedAt: record.startedAt, endedAt: record.at, durationMs: record.at - record.startedAt };
}

function onAbort(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
}

function aborted(reason: unknown): HyperctlError {
  return new HyperctlError('E_ABORTED', 'the batch run was aborted; running jobs were killed and recorded', { cause: reason });
}
