import { setMaxListeners } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import PQueue from 'p-queue';
import type { BatchSpec, JobSpec } from '../batch/spec.js';
import type { JobStatus } from '../batch/types.js';
import { startDaemon, type Daemon } from '../daemon/server.js';
import { HyperctlError } from '../errors.js';
import type { Executor, JobExit } from '../executors/executor.js';
import { terminateGroup } from '../executors/process-group.js';
import { BatchStore } from '../store/batch-store.js';
import type { ExitRecord } from '../store/journal.js';
import { isAlive } from '../store/process-identity.js';
import type { BatchCounts, BatchEvent, BatchResult, JobResult } from './events.js';
import { backendWarnings, createExecutors } from './executors-for.js';
import { jobEnvironment } from './job-env.js';
import type { RunBatchOptions } from './options.js';
import { SlotPool } from './slot-pool.js';

/** What the daemon and other observers see of a run while it goes on. */
export interface RunView {
  readonly spec: BatchSpec;
  readonly startedAt: number;
  /** Every job's current state, in batch order. */
  jobs(): JobResult[];
  job(name: string): JobResult | undefined;
  jobSpec(name: string): JobSpec | undefined;
  /** Jobs per status, kept current as jobs change (no scan of a huge batch per request). */
  counts(): Record<JobStatus, number> & { total: number };
  /** True until the batch has ended. */
  readonly active: boolean;
  killJob(name: string): 'killed' | 'not-running' | 'unknown';
  /** Starts no more jobs (with `kill`, kills the running ones), then ends the run and its serving. */
  stop(kill: boolean): void;
  /** Calls `listener` with every event from now on; returns the unsubscribe function. */
  subscribe(listener: (event: BatchEvent) => void): () => void;
}

/**
 * One run of a batch: decides what to run, schedules jobs on executor slots with p-queue, records
 * every start and exit in the store, serves the daemon when asked, and kills on request.
 */
export class BatchRun implements RunView {
  readonly spec: BatchSpec;
  readonly #options: RunBatchOptions;
  /** Every job's current state; its insertion order is the batch's order. */
  readonly #results = new Map<string, JobResult>();
  readonly #specs = new Map<string, JobSpec>();
  readonly #counts: Record<JobStatus, number> & { total: number };
  readonly #running = new Map<string, AbortController>();
  /** Aborted to end the run: stop starting jobs and kill the running ones. */
  readonly #kill = new AbortController();
  /** Aborted to stop starting jobs while the running ones finish. */
  readonly #drain = new AbortController();
  readonly #listeners = new Set<(event: BatchEvent) => void>();
  #listenerError: unknown;
  /** Set when every executor was gone with jobs left to run. */
  #noMachineLeft = false;
  #startedAt = Date.now();
  #active = true;

  constructor(spec: BatchSpec, options: RunBatchOptions) {
    this.spec = spec;
    this.#options = options;
    for (const job of spec.jobs) {
      this.#results.set(job.name, this.#baseResult(job));
      this.#specs.set(job.name, job);
    }
    this.#counts = { total: spec.jobs.length, init: spec.jobs.length, running: 0, succeed: 0, failed: 0, killed: 0 };
    // Every running job listens to these: many slots are many listeners, not a leak.
    setMaxListeners(0, this.#kill.signal, this.#drain.signal);
  }

  get startedAt(): number {
    return this.#startedAt;
  }

  get active(): boolean {
    return this.#active;
  }

  async run(): Promise<BatchResult> {
    const outer = this.#options.signal;
    if (outer?.aborted) throw aborted(outer.reason);
    const all = this.#options.executors ?? createExecutors(this.spec, this.#options);
    // The port is taken before anything is written, so a clash leaves no trace.
    const daemon = this.#options.daemon ? await startDaemon(this, { host: this.spec.daemon.host, port: this.#options.port ?? this.spec.daemon.port }) : undefined;
    let store: BatchStore;
    let executors: Executor[];
    try {
      for (const message of backendWarnings(this.spec, this.#options.daemon === true)) this.#emit({ type: 'warning', message });
      executors = await this.#openExecutors(all);
      store = BatchStore.open(this.spec, daemon ? { portal: daemon.url, token: daemon.token } : undefined);
    } catch (error) {
      await Promise.allSettled(all.map((e) => e.close?.()));
      await daemon?.close();
      throw error;
    }
    this.#startedAt = store.startedAt;
    const onOuterAbort = () => this.#kill.abort(outer?.reason);
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    let result: BatchResult | undefined;
    let serve = false;
    try {
      await this.#cleanUpOrphans(store);
      const toRun = this.#jobsToRun(store);
      const slots = executors.reduce((sum, e) => sum + e.slots, 0);
      this.#emit({ type: 'batch:start', batch: this.spec.name, dataDir: this.spec.dataDir, total: this.spec.jobs.length, toRun: toRun.length, skipped: this.spec.jobs.length - toRun.length, slots, ...(daemon ? { portal: daemon.url } : {}) });
      await this.#schedule(toRun, executors, store, daemon);
    } finally {
      const interrupted = this.#kill.signal.aborted;
      serve = daemon !== undefined && !(this.#options.exitOnFinish ?? this.spec.daemon.exitOnFinish) && !this.#drain.signal.aborted && this.#listenerError === undefined;
      store.finish(interrupted || this.#drain.signal.aborted, serve);
      await Promise.allSettled(executors.map((e) => e.close?.()));
      this.#active = false;
      result = this.#result(interrupted);
      this.#emit({ type: 'batch:end', result });
    }
    try {
      if (serve && daemon && this.#listenerError === undefined) {
        this.#emit({ type: 'daemon:serving', url: daemon.url });
        // A batch stop through the API ends the serving too: the user asked the whole run to end.
        await Promise.race([onAbort(outer ?? new AbortController().signal), onAbort(this.#drain.signal)]);
      }
    } finally {
      outer?.removeEventListener('abort', onOuterAbort);
      await daemon?.close();
      store.release();
    }
    if (this.#listenerError !== undefined) throw this.#listenerError;
    if (this.#noMachineLeft) throw new HyperctlError('E_NO_MACHINE', `every machine was lost; ${result.counts.init} job(s) did not run; run the batch again to resume it`);
    if (result.status === 'interrupted') throw aborted(outer?.reason);
    return result;
  }

  jobs(): JobResult[] {
    return [...this.#results.values()];
  }

  job(name: string): JobResult | undefined {
    return this.#results.get(name);
  }

  jobSpec(name: string): JobSpec | undefined {
    return this.#specs.get(name);
  }

  counts(): Record<JobStatus, number> & { total: number } {
    return { ...this.#counts };
  }

  #setResult(result: JobResult): void {
    this.#counts[this.#results.get(result.name)!.status]--;
    this.#counts[result.status]++;
    this.#results.set(result.name, result);
  }

  killJob(name: string): 'killed' | 'not-running' | 'unknown' {
    if (!this.#results.has(name)) return 'unknown';
    const controller = this.#running.get(name);
    controller?.abort();
    return controller ? 'killed' : 'not-running';
  }

  stop(kill: boolean): void {
    this.#drain.abort();
    if (kill && this.#active) this.#kill.abort(new HyperctlError('E_ABORTED', 'the batch was stopped'));
  }

  subscribe(listener: (event: BatchEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Opens every executor at once; those that fail are reported and left out. */
  async #openExecutors(executors: readonly Executor[]): Promise<Executor[]> {
    const outcomes = await Promise.allSettled(executors.map((e) => e.open?.()));
    const usable: Executor[] = [];
    const reasons: string[] = [];
    outcomes.forEach((outcome, i) => {
      const executor = executors[i]!;
      if (outcome.status === 'fulfilled') return void usable.push(executor);
      const reason = (outcome.reason as Error).message;
      reasons.push(reason);
      this.#emit({ type: 'host:down', host: executor.host, reason });
      void executor.close?.();
    });
    if (usable.length === 0) throw new HyperctlError('E_NO_MACHINE', `no machine can run jobs:\n  ${reasons.join('\n  ')}`, { issues: reasons });
    return usable;
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
    for (const job of this.spec.jobs) {
      const before = store.previous.get(job.name);
      if (!this.#options.force && before?.e === 'exit' && before.status === 'succeed' && before.hash === job.hash) {
        this.#setResult({ ...this.#baseResult(job), ...timing(before), status: 'succeed', exitCode: 0, skipped: true, ...(before.host ? { host: before.host } : {}) });
      } else toRun.push(job);
    }
    return toRun;
  }

  async #schedule(jobs: readonly JobSpec[], executors: readonly Executor[], store: BatchStore, daemon: Daemon | undefined): Promise<void> {
    const pool = new SlotPool(executors);
    const slots = pool.size;
    const queue = new PQueue({ concurrency: slots });
    const drained = this.#drain.signal;
    const whenDrained = onAbort(drained);
    const killed = this.#kill.signal;
    killed.addEventListener('abort', () => this.#drain.abort(), { once: true });
    for (const job of jobs) {
      // Feed the queue a little ahead of the slots, so a huge batch never sits in it at once.
      if (queue.size >= slots) await Promise.race([queue.onSizeLessThan(slots), whenDrained]);
      if (drained.aborted) break;
      void queue.add(() => this.#runOnSomeMachine(job, pool, store, daemon));
    }
    await queue.onIdle();
  }

  /** Runs a job on a free slot; a job whose machine was lost runs again elsewhere while retries last. */
  async #runOnSomeMachine(job: JobSpec, pool: SlotPool, store: BatchStore, daemon: Daemon | undefined): Promise<void> {
    const retries = this.spec.backend.type === 'remote' ? this.spec.backend.retries : 0;
    const lostOn = new Set<Executor>();
    for (let attempt = 0; ; attempt++) {
      const executor = await pool.take(lostOn, this.#drain.signal);
      if (!executor) {
        // Every machine is gone: stop starting jobs; those not started stay `init` for a re-run.
        if (!this.#drain.signal.aborted) this.#noMachineLeft = true;
        this.#drain.abort();
        return;
      }
      let run: { exit: JobExit; startedAt: number };
      try {
        run = await this.#runJob(job, executor, store, daemon);
      } finally {
        pool.give(executor);
      }
      if (run.exit.lost && attempt < retries && !this.#drain.signal.aborted) {
        lostOn.add(executor);
        this.#emit({ type: 'job:retry', job: job.name, host: executor.host, reason: run.exit.reason ?? 'the machine was lost', attempt: attempt + 1 });
        continue;
      }
      this.#recordExit(job, executor, run.exit, run.startedAt, store);
      return;
    }
  }

  async #runJob(job: JobSpec, executor: Executor, store: BatchStore, daemon: Daemon | undefined): Promise<{ exit: JobExit; startedAt: number }> {
    const controller = new AbortController();
    const stop = () => controller.abort();
    this.#kill.signal.addEventListener('abort', stop, { once: true });
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
          batchName: this.spec.name,
          command: job.command,
          params: job.params,
          workingDir: job.workingDir,
          ...(job.workingDirAsWritten !== undefined ? { workingDirAsWritten: job.workingDirAsWritten } : {}),
          dataDir: job.dataDir,
          env: jobEnvironment(this.spec, job, paramsFile, paramsJson, daemon?.portal),
          stdoutPath: join(job.dataDir, 'stdout'),
          stderrPath: join(job.dataDir, 'stderr'),
          ...(capture ? { onOutput: (stream: 'stdout' | 'stderr', chunk: Buffer) => this.#emit({ type: 'job:output', job: job.name, stream, chunk }) } : {}),
          onSpawn: ({ pid, startTicks }) => {
            store.record({ e: 'start', job: job.name, hash: job.hash, at: startedAt, pid, ticks: startTicks, host: executor.host });
            this.#setResult({ ...this.#baseResult(job), status: 'running', startedAt, host: executor.host });
            this.#emit({ type: 'job:start', job: job.name, host: executor.host, pid, at: startedAt });
          },
        },
        controller.signal,
      );
    } catch (error) {
      exit = { exitCode: null, signal: null, killed: controller.signal.aborted, reason: `${executor.host}: ${(error as Error).message}` };
    } finally {
      this.#kill.signal.removeEventListener('abort', stop);
      this.#running.delete(job.name);
    }
    return { exit, startedAt };
  }

  #recordExit(job: JobSpec, executor: Executor, exit: JobExit, startedAt: number, store: BatchStore): void {
    const status: JobStatus = exit.killed ? 'killed' : exit.exitCode === 0 ? 'succeed' : 'failed';
    const record: ExitRecord = {
      e: 'exit', job: job.name, hash: job.hash, status, code: exit.exitCode, signal: exit.signal, startedAt, at: Date.now(), host: executor.host,
      ...(exit.reason ? { reason: exit.reason } : {}),
    };
    store.record(record);
    const result: JobResult = { ...this.#baseResult(job), ...timing(record), status, exitCode: exit.exitCode, signal: exit.signal, host: executor.host, ...(exit.reason ? { reason: exit.reason } : {}) };
    this.#setResult(result);
    this.#emit({ type: 'job:exit', job: result });
  }

  #baseResult(job: JobSpec): JobResult {
    return { name: job.name, status: 'init', exitCode: null, signal: null, skipped: false, params: job.params, dataDir: job.dataDir, stdoutPath: join(job.dataDir, 'stdout'), stderrPath: join(job.dataDir, 'stderr') };
  }

  #result(interrupted: boolean): BatchResult {
    const jobs = this.jobs();
    const counts: Record<keyof BatchCounts, number> = { total: jobs.length, succeed: 0, failed: 0, killed: 0, init: 0, skipped: 0 };
    for (const job of jobs) {
      if (job.skipped) counts.skipped++;
      if (job.status !== 'running') counts[job.status]++;
    }
    const endedAt = Date.now();
    const status = interrupted ? 'interrupted' : counts.succeed === counts.total ? 'succeed' : 'failed';
    return { name: this.spec.name, dataDir: this.spec.dataDir, status, counts, jobs, startedAt: this.#startedAt, endedAt, durationMs: endedAt - this.#startedAt };
  }

  #emit(event: BatchEvent): void {
    for (const listener of this.#listeners) listener(event);
    if (!this.#options.onEvent || this.#listenerError !== undefined) return;
    try {
      this.#options.onEvent(event);
    } catch (error) {
      this.#listenerError = error;
      this.#kill.abort(error);
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
