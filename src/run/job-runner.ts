import { mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BatchSpec, JobSpec } from '../batch/spec.js';
import type { Executor, JobExit, JobLaunch } from '../executors/executor.js';
import type { GpuLease } from '../executors/gpu-lease.js';
import { failedExit, jobExitOf, killedExit } from '../executors/job-exit.js';
import { metricsFiles } from '../metrics/metrics-tracker.js';
import { resolveGpuLockDir } from '../paths.js';
import type { BatchState } from '../state/batch-state.js';
import { toJobResult } from '../state/job-result.js';
import type { ExitRecord, JournalRecord } from '../state/records.js';
import { settleJob } from '../state/reduce.js';
import type { BatchStore } from '../store/batch-store.js';
import { isEnvironmentFault, stateWriteError } from '../files/write-fault.js';
import { type AttemptOutcome, attemptOutcome, exitRecordOf, type RecordedExit, retryReason } from './attempt-outcome.js';
import { demandOf, type Grant, slotOnly } from './capacity.js';
import type { EarlyStop } from './early-stop.js';
import type { BatchEvent } from './events.js';
import { backoffMs, gpuEnvironment, gpuLeaseFor, shouldRetry } from './job-attempts.js';
import { jobEnvironment } from './job-env.js';
import { backendOf } from '../executors/backends/backend-of.js';
import type { LiveMetrics } from './live-metrics.js';
import { startLongTimer } from './long-timer.js';
import type { RunBatchOptions } from './options.js';
import type { Placement, ResourcePool } from './resource-pool.js';
import type { RunControl } from './run-control.js';

/** What running a batch's jobs needs of its run. */
export interface JobRunnerContext {
  readonly spec: BatchSpec;
  readonly options: Pick<RunBatchOptions, 'captureOutput' | 'gpuLockDir'>;
  readonly state: BatchState;
  readonly metrics: LiveMetrics;
  readonly control: RunControl;
  readonly pool: ResourcePool;
  /** What earlier runs left: a job queued or running on a scheduler is followed, not started again. */
  readonly store: BatchStore;
  /** The daemon's portal, for the jobs' environment. */
  readonly portal: string | undefined;
  /** Jobs declare resources: capacity places them, and GPU jobs take leases. */
  readonly resourceMode: boolean;
  readonly earlyStop: EarlyStop | undefined;
  /** Journals a record and folds it in; false (and the run is ending) when it could not be written. */
  record(record: JournalRecord): boolean;
  /** The batch's state could not be written: the run ends. */
  failState(error: unknown): void;
  emit(event: BatchEvent): void;
  /** A job failed for good (no retry follows): the halt policy counts it. */
  failedForGood(): void;
  /** A job's exit was journalled (`recorded`), or tried to be. */
  ended(job: JobSpec, record: ExitRecord, recorded: boolean): void;
}

/** One run of a job: how it ended, when it started, and whether its timeout ended it. */
interface JobRun {
  readonly exit: JobExit;
  readonly startedAt: number;
  readonly timedOut: boolean;
}

/** How long GPUs another run holds are left alone before a job tries them again. */
const leaseRetryMs = 1000;

/**
 * Runs jobs to their end: places each, launches it on its executor, retries it by the batch's
 * policy (at once on another machine when its machine was lost; after a back-off otherwise), places
 * it again when another run holds its GPUs, and journals its outcome before its slot is given back.
 */
export class JobRunner {
  readonly #context: JobRunnerContext;
  readonly #running = new Map<string, AbortController>();
  /** Machines where GPUs were found held by another run: said once each, not at every try. */
  readonly #leasedElsewhere = new Set<string>();
  /** Who runs this run, as GPU leases name it: asked once (it reads the user database). */
  #user: string | undefined;

  /** What the backend adds to every job's environment. */
  readonly #environment: Readonly<Record<string, string>>;

  constructor(context: JobRunnerContext) {
    this.#context = context;
    this.#environment = backendOf(context.spec.backend).environment;
  }

  isRunning(job: string): boolean {
    return this.#running.has(job);
  }

  /** The running jobs, each with what kills it. */
  running(): ReadonlyMap<string, AbortController> {
    return this.#running;
  }

  /** Kills `job` if it runs; whether it did. */
  kill(job: string): boolean {
    const controller = this.#running.get(job);
    controller?.abort();
    return controller !== undefined;
  }

  /** Kills every running job. */
  killAll(): void {
    for (const controller of this.#running.values()) controller.abort();
  }

  /** Runs a job until it succeeds, or fails in a way (or as often) that the retry policy leaves it at. */
  async runToTheEnd(job: JobSpec): Promise<void> {
    const { spec, pool, control, state, store, metrics } = this.#context;
    const demand = this.#context.resourceMode ? demandOf(job.resource) : slotOnly;
    const lostOn = new Set<Executor>();
    for (let attempt = 0; ; attempt++) {
      const placement = await pool.take(demand, lostOn, control.drain, () => state.steering.priorities.get(job.name) ?? 0);
      if (!placement) {
        // Every machine that could run it is gone: start no more jobs; those left stay `init` for a re-run.
        if (!control.drain.aborted) control.stop({ kind: 'no-machine' });
        return;
      }
      // Placed, then the run stopped starting jobs before this turn came (a halt decided on an exit
      // read in the same moment): it does not start, and stays `init`.
      if (control.drain.aborted) {
        pool.give(placement);
        return;
      }
      // A job an earlier runner left queued or running on a scheduler is followed, not submitted again.
      const before = attempt === 0 ? store.previous.get(job.name) : undefined;
      const handle = before?.e === 'start' && before.host === placement.executor.host ? before.handle : undefined;
      // The slot is given back only once the outcome is recorded: the next job never starts before
      // this one's exit is known, and a halt stops the batch before another job takes the slot.
      let given = false;
      const give = () => {
        if (!given) pool.give(placement);
        given = true;
      };
      try {
        const run = await this.#runJob(job, placement, handle);
        const { exit } = run;
        // Left to the scheduler on an interrupt: its start record stays the last word, for a re-run to follow.
        if (exit.outcome === 'detached') return metrics.unfollow(job.name);
        if (exit.outcome === 'lease-busy') {
          // Another run holds its GPUs there: nothing started, nothing recorded; it waits to be placed again.
          metrics.unfollow(job.name);
          this.#tellLeasedElsewhere(placement);
          pool.holdElsewhere(placement.executor, placement.grant.gpus, leaseRetryMs);
          give();
          attempt--;
          continue;
        }
        const prunedBecause = this.#context.earlyStop?.prunedBecause(job.name);
        const outcome = attemptOutcome(exit, job, { timedOut: run.timedOut, ...(prunedBecause !== undefined ? { prunedBecause } : {}) });
        const { cause } = outcome;
        if (cause !== undefined && shouldRetry(spec, job, cause, attempt) && !control.drain.aborted) {
          give();
          if (cause === 'lost') lostOn.add(placement.executor);
          this.#context.emit({ type: 'job:retry', job: job.name, host: placement.executor.host, reason: retryReason(exit, cause), attempt: attempt + 1 });
          // A drain ends the wait and its timer (a back-off can be long).
          await sleep(backoffMs(spec, cause, attempt), undefined, { signal: control.drain }).catch(() => undefined);
          if (!control.drain.aborted) continue;
        }
        await this.#recordExit(job, placement.executor, { ...run, exit }, outcome);
        if (cause !== undefined) this.#context.failedForGood();
        return;
      } finally {
        give();
      }
    }
  }

  async #runJob(job: JobSpec, { executor, grant }: Placement, handle?: string): Promise<JobRun> {
    const { control } = this.#context;
    const controller = new AbortController();
    const stop = () => controller.abort();
    control.kill.addEventListener('abort', stop, { once: true });
    if (control.kill.aborted) controller.abort();
    this.#running.set(job.name, controller);
    const run = { startedAt: Date.now(), timedOut: false, stopTimer: undefined as (() => void) | undefined };
    let exit: JobExit;
    try {
      const paramsFile = join(job.dataDir, 'params.json');
      const paramsJson = JSON.stringify(job.params);
      try {
        prepareJobFolder(job.dataDir, paramsFile, paramsJson);
      } catch (error) {
        if (!isEnvironmentFault(error)) throw error;
        this.#context.failState(stateWriteError(job.dataDir, error));
        return { exit: killedExit(null, null, 'not started: its folder could not be written'), startedAt: run.startedAt, timedOut: false };
      }
      this.#context.metrics.follow(job);
      const launch = this.#launch(job, executor, grant, { paramsFile, paramsJson }, controller, run);
      const followed = handle && executor.reattach ? await executor.reattach(launch, handle, controller.signal) : undefined;
      // A job killed before it started never reaches an executor: no executor checks for it.
      const ended =
        followed ?? (controller.signal.aborted ? killedExit(null, null, 'killed before it started') : await executor.run(launch, controller.signal));
      exit = jobExitOf(ended);
    } catch (error) {
      const reason = `${executor.host}: ${(error as Error).message}`;
      exit = controller.signal.aborted ? killedExit(null, null, reason) : failedExit(reason);
    } finally {
      run.stopTimer?.();
      control.kill.removeEventListener('abort', stop);
      this.#running.delete(job.name);
    }
    return { exit, startedAt: run.startedAt, timedOut: run.timedOut };
  }

  /** What the executor is given to start `job`: its command, folders, environment and lease, and what to call as it queues and starts. */
  #launch(
    job: JobSpec,
    executor: Executor,
    grant: Grant,
    params: { readonly paramsFile: string; readonly paramsJson: string },
    controller: AbortController,
    run: { startedAt: number; timedOut: boolean; stopTimer: (() => void) | undefined },
  ): JobLaunch {
    const { spec, options, portal, resourceMode } = this.#context;
    const capture = options.captureOutput;
    return {
      name: job.name,
      batchName: spec.name,
      command: job.command,
      params: job.params,
      workingDir: job.workingDir,
      ...(job.workingDirAsWritten !== undefined ? { workingDirAsWritten: job.workingDirAsWritten } : {}),
      dataDir: job.dataDir,
      ...(job.outputs ? { outputs: job.outputs } : {}),
      ...(job.assets ? { assets: job.assets } : {}),
      ...(spec.privateTmp ? { privateTmp: true } : {}),
      env: { ...jobEnvironment(spec, job, params.paramsFile, params.paramsJson, portal, this.#environment), ...(resourceMode ? gpuEnvironment(grant) : {}) },
      ...this.#gpuLease(job, grant),
      stdoutPath: join(job.dataDir, 'stdout'),
      stderrPath: join(job.dataDir, 'stderr'),
      ...(capture
        ? { onOutput: (stream: 'stdout' | 'stderr', chunk: Buffer) => this.#context.emit({ type: 'job:output', job: job.name, stream, chunk }) }
        : {}),
      ...(job.resource ? { resource: job.resource } : {}),
      ...(job.timeoutMs !== undefined ? { timeoutMs: job.timeoutMs } : {}),
      onQueued: (id) => void this.#context.record({ e: 'start', job: job.name, hash: job.hash, at: Date.now(), handle: id, queued: true, host: executor.host }),
      onSpawn: ({ pid, startTicks, handle: id }) => {
        run.startedAt = Date.now();
        // The clock of a timeout runs from the start, not from a wait in a scheduler's queue.
        if (job.timeoutMs !== undefined) {
          run.stopTimer = startLongTimer(job.timeoutMs, () => {
            run.timedOut = true;
            controller.abort();
          });
        }
        // Unrecorded, the job would be unknown to a re-run: the failed record ends the run, and the job with it.
        if (!this.#context.record({ e: 'start', job: job.name, hash: job.hash, at: run.startedAt, pid, ticks: startTicks, handle: id, host: executor.host }))
          return;
        this.#context.emit({ type: 'job:start', job: job.name, host: executor.host, pid, at: run.startedAt });
      },
    };
  }

  #tellLeasedElsewhere({ executor, grant }: Placement): void {
    if (this.#leasedElsewhere.has(executor.host)) return;
    this.#leasedElsewhere.add(executor.host);
    this.#context.emit({
      type: 'warning',
      message: `${executor.host}: GPU ${grant.gpus.join(', ')} held by another run (see hyperctl gpus); jobs that need it wait for it`,
    });
  }

  /** The lease on its GPUs a job takes where it runs, with who holds it as `hyperctl gpus` shows it. */
  #gpuLease(job: JobSpec, grant: Grant): { gpuLease?: GpuLease } {
    if (!this.#context.resourceMode || grant.gpus.length === 0) return {};
    this.#user ??= currentUser();
    const holder = `batch ${this.#context.spec.name} · job ${job.name} · user ${this.#user} · since ${new Date().toISOString()}`;
    return { gpuLease: gpuLeaseFor(grant, holder, resolveGpuLockDir(this.#context.options.gpuLockDir)) };
  }

  async #recordExit(job: JobSpec, executor: Executor, { exit, startedAt }: { exit: RecordedExit; startedAt: number }, outcome: AttemptOutcome): Promise<void> {
    const { metrics, state } = this.#context;
    const final = await metrics.final(job.name);
    const record = exitRecordOf(job, exit, outcome, { host: executor.host, startedAt, at: Date.now(), metrics: final });
    const recorded = this.#context.record(record);
    this.#context.ended(job, record, recorded);
    // What was not recorded did not happen, as far as a re-run knows: shown as a reader of the disk will see it.
    const now = state.get(job.name)!;
    this.#context.emit({ type: 'job:exit', job: toJobResult(recorded ? now : settleJob(now, record.at), state.runStartedAt) });
  }
}

/** Makes a job's data folder and its `params.json`, and clears metrics an earlier run of it left. */
function prepareJobFolder(dataDir: string, paramsFile: string, paramsJson: string): void {
  // A folder made just now holds nothing of an earlier run: nothing to clear (the common case, and per-job work counts).
  const fresh = mkdirSync(dataDir, { recursive: true }) !== undefined;
  writeFileSync(paramsFile, paramsJson);
  if (!fresh) for (const file of Object.values(metricsFiles)) removeIfThere(join(dataDir, file));
}

/** Removes a file that may not exist, in one system call. */
function removeIfThere(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'unknown');
  }
}
