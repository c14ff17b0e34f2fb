import type { BatchSpec, JobSpec } from '../batch/spec.js';
import { HyperctlError } from '../errors.js';
import type { Executor } from '../executors/executor.js';
import type { JournalRecord } from '../state/records.js';
import { jobsPerTrial, type SearchProgress, searchProgress } from '../state/search-progress.js';
import type { BatchStore } from '../store/batch-store.js';
import { faultOf } from '../files/write-fault.js';
import type { BatchSteer } from './batch-steer.js';
import { EarlyStop } from './early-stop.js';
import { EventBus } from './event-bus.js';
import type { BatchEvent, BatchResult } from './events.js';
import type { JobFeed } from './job-feed.js';
import { makeParts, type RunHooks, type RunParts } from './run-parts.js';
import { RunStateView } from './run-state-view.js';
import { HaltPolicy } from './halt-policy.js';
import type { RunBatchOptions } from './options.js';
import { watchPauseFile } from './pause-file.js';
import { RunControl } from './run-control.js';
import { describeStop, runResult, type StoppingCause } from './run-result.js';
import { aborted, endOrphans, type SetUp, setUpRun } from './run-setup.js';
import type { RunSteering, RunView, ServingDaemon } from './run-view.js';
import { feedSource } from './schedule.js';
import { endScheduling, type SchedulingEnd, serveEnded } from './serve-ended.js';
import { usesResources } from './executors-for.js';

/**
 * One run of a batch, composed of its parts: {@link RunControl} (its phase and what stops it), an
 * {@link EventBus}, {@link JobRunner} (attempts, retries, launches), {@link Schedule} (the one loop,
 * over the batch's jobs or a search's proposals), {@link EarlyStop}, {@link BatchSteer} and the
 * result of {@link runResult}. It knows the daemon that serves it only by its address:
 * {@link runBatch} composes the two.
 */
export class BatchRun extends RunStateView implements RunView {
  readonly #options: RunBatchOptions;
  readonly #control = new RunControl();
  readonly #events: EventBus;
  readonly #earlyStop: EarlyStop | undefined;
  /** True when jobs declare resources: then capacity decides where and when they run. */
  readonly #resourceMode: boolean;
  #startedAt = Date.now();
  #endedAt: number | undefined;
  readonly #halt: HaltPolicy;
  /** Set once the run is set up. */
  #store: BatchStore | undefined;
  #parts: RunParts | undefined;
  /** Steers the run while it schedules; undefined before and after. */
  #steer: BatchSteer | undefined;
  /** What the run's parts are given of it. */
  readonly #hooks: RunHooks;

  constructor(spec: BatchSpec, options: RunBatchOptions) {
    super(spec);
    this.#options = options;
    this.#events = new EventBus(options.onEvent, (error) => this.#control.stop({ kind: 'listener-failed', error }));
    this.#resourceMode = usesResources(spec);
    this.#halt = new HaltPolicy(spec.halt);
    const run = this;
    this.#hooks = {
      spec,
      options,
      state: this.state,
      metrics: this.liveMetrics,
      control: this.#control,
      get earlyStop() {
        return run.#earlyStop;
      },
      resourceMode: this.#resourceMode,
      get startedAt() {
        return run.#startedAt;
      },
      record: (record) => this.#record(record),
      failState: (error) => this.#failState(error),
      emit: (event) => this.#emit(event),
      failedForGood: () => this.#countFailure(),
    };
    this.#earlyStop = EarlyStop.for(spec, {
      record: (report) => this.#store !== undefined && this.#record(report),
      isRunning: (job) => this.#parts?.runner.isRunning(job) ?? false,
      kill: (job) => void this.#parts?.runner.kill(job),
      warn: (message) => this.#emit({ type: 'warning', message }),
      giveUp: (reason) => this.#stopWith({ kind: 'unreported', reason }),
    });
  }

  protected override reported(job: string, step: number, values: Readonly<Record<string, number | string>>): void {
    this.#emit({ type: 'job:metrics', job, step, values });
    this.#earlyStop?.judge(job, step, values);
  }

  get startedAt(): number {
    return this.#startedAt;
  }

  get active(): boolean {
    return this.#control.phase !== 'ended';
  }

  get endedAt(): number | undefined {
    return this.#endedAt;
  }

  /**
   * Runs the batch to its end. With `daemon` (started on this run, its port already taken), the
   * run hands its address to the store and the jobs, keeps serving after the last job when asked
   * to, and closes it before it frees the batch.
   */
  async run(daemon?: ServingDaemon): Promise<BatchResult> {
    const setUp = await setUpRun(this.spec, this.#options, this.#control, daemon, this.#resourceMode, (event) => this.#emit(event));
    try {
      return await this.#runSetUp(setUp);
    } finally {
      await setUp.release();
    }
  }

  async #runSetUp(setUp: Omit<SetUp, 'release'>): Promise<BatchResult> {
    const { daemon, executors, store } = setUp;
    this.#startedAt = store.startedAt;
    this.#store = store;
    let parts: RunParts | undefined;
    let stopWatching: (() => void) | undefined;
    let scheduled = false;
    let ending: SchedulingEnd;
    let result: BatchResult;
    try {
      await endOrphans(store, this.spec, executors, this.#options.killGraceMs ?? 5000);
      // The state earlier runs left, this run's start, and the parts that run, schedule and steer its jobs.
      parts = makeParts(this.#hooks, setUp);
      this.#parts = parts;
      const { steer } = parts;
      this.#startRound(parts.toRun, setUp);
      this.#steer = steer;
      steer.sayPaused();
      const pauseFile = this.spec.pauseFile;
      if (pauseFile) stopWatching = watchPauseFile(pauseFile, (exists) => steer.followPauseFile(pauseFile, exists));
      await this.#scheduleAll(parts.feed);
      scheduled = true;
    } finally {
      stopWatching?.();
      this.#steer = undefined;
      ending = await endScheduling(setUp, scheduled ? parts : undefined, this.#hooks);
      result = this.#end(executors);
    }
    if (ending.serve && daemon) {
      result = await serveEnded(
        {
          ...this.#hooks,
          daemon,
          signal: this.#options.signal,
          rounds: ending.rounds,
          setUp,
          steerWith: (steer) => (this.#steer = steer),
          round: (feed) => this.#round(feed, setUp),
        },
        result,
      );
      this.#steer = undefined;
    }
    const fault = this.#control.fault;
    if (fault) throw fault.error;
    if (this.#control.first('no-machine'))
      throw new HyperctlError('E_NO_MACHINE', `every machine was lost; ${result.counts.init} job(s) did not run; run the batch again to resume it`);
    if (result.status === 'interrupted') throw aborted(this.#options.signal?.reason);
    return result;
  }

  /** Runs the batch's jobs (from `feed`) or its search's, until done or drained. */
  async #scheduleAll(feed: JobFeed | undefined): Promise<void> {
    this.#control.enter('scheduling');
    const run = (job: JobSpec) => this.#parts!.runner.runToTheEnd(job);
    const search = this.#parts!.search;
    if (!search) {
      // Nothing more is fed: steering that would add jobs is refused from here on.
      await this.#parts!.schedule.run(feedSource(feed!), run, this.#control.drain, () => (this.#steer = undefined));
      return;
    }
    try {
      await this.#parts!.schedule.run(search.source, run, this.#control.drain);
    } finally {
      await search.source.finish();
    }
  }

  /** Says the run (or a round of it) starts: what is to run (with a search's trials its budget has still to propose), on how many slots. */
  #startRound(toRun: number, { daemon, pool }: Omit<SetUp, 'release'>): void {
    const { total, succeed, pruned } = this.state.counts();
    const planned = this.#parts?.search?.driver.expectedNewJobs() ?? 0;
    const { name: batch, dataDir } = this.spec;
    // Every job not to run ended before: succeeded, or pruned (the run record sent the rest back to run).
    const counts = { total: total + planned, toRun: toRun + planned, skipped: succeed, pruned, slots: pool.slots };
    this.#emit({ type: 'batch:start', batch, dataDir, ...counts, ...(daemon ? { portal: daemon.url } : {}) });
  }

  /**
   * Runs the jobs queued while the ended batch was served (retried, added), as a run of their own
   * would: it starts, its jobs run, it ends with a result; the batch is served again after it.
   */
  async #round(feed: JobFeed, setUp: Omit<SetUp, 'release'>): Promise<BatchResult> {
    const { executors, store } = setUp;
    this.#endedAt = undefined;
    store.markRunning();
    this.#startRound(feed.size, setUp);
    await this.#scheduleAll(feed);
    try {
      if (!this.#control.interrupted) store.markServing();
    } catch (error) {
      this.#failState(error);
    }
    return this.#end(executors);
  }

  /** Ends the run (or a round): nothing runs any more, and what the journal left open ends as a reader of the disk will see it. */
  #end(executors: readonly Executor[]): BatchResult {
    this.#control.enter('ended');
    const endedAt = Date.now();
    this.state.settle(endedAt);
    const found = this.#parts?.search;
    const search = found ? { search: { driver: found.driver, stop: found.source.stop } } : {};
    const interrupted = this.#control.interrupted;
    const result = runResult(this.spec, this.state, { startedAt: this.#startedAt, endedAt, interrupted, control: this.#control, executors, ...search });
    this.#endedAt = endedAt;
    this.#emit({ type: 'batch:end', result });
    return result;
  }

  /**
   * The batch's state could not be written (a full disk): nothing more can be recorded, so the
   * run ends as after an abort: no job starts, running ones are killed. The first such error is
   * what the run rejects with.
   */
  #failState(error: unknown): void {
    if (this.#control.first('state-unwritable')) return;
    this.#control.stop({ kind: 'state-unwritable', error });
    // The error itself, with how to resume, is what the run ends with; the warning says it as it happens.
    this.#emit({ type: 'warning', message: `${faultOf(error)}; stopping the batch` });
  }

  /** Appends to the journal and folds the record in; false (and the run is ending) when that failed. */
  #record(record: JournalRecord): boolean {
    try {
      this.#store!.record(record);
      this.state.apply(record);
      return true;
    } catch (error) {
      this.#failState(error);
      return false;
    }
  }

  /**
   * Stops the batch starting jobs for `cause`, saying so first, unless it stopped already: then only
   * a stop asked for acts (after the end, it ends the serving).
   */
  #stopWith(cause: StoppingCause): void {
    const kill = cause.kind === 'asked' ? cause.kill : cause.kind === 'halt' && cause.now;
    if (this.active && !this.#control.drain.aborted) this.#emit({ type: 'batch:stopping', reason: describeStop(cause), kill });
    else if (cause.kind !== 'asked') return;
    this.#control.stop(cause);
  }

  /** Applies the batch's `halt` policy after a job failed for good. */
  #countFailure(): void {
    const halt = this.#halt.failed();
    if (!halt || this.#control.drain.aborted) return;
    this.#stopWith(halt);
    if (halt.now) this.#parts?.runner.killAll();
  }

  #emit(event: BatchEvent): void {
    this.#events.emit(event);
  }

  killJob(name: string): 'killed' | 'not-running' | 'unknown' {
    if (!this.state.get(name)) return 'unknown';
    return this.#parts?.runner.kill(name) ? 'killed' : 'not-running';
  }

  stop(kill: boolean): void {
    this.#stopWith({ kind: 'asked', kill: kill && this.active });
  }

  steer(): RunSteering {
    if (!this.#steer)
      throw new HyperctlError(
        'E_NOT_RUNNING',
        `batch ${this.spec.name} is not running${this.active ? ' (it is starting, or its last jobs are ending)' : ''}: it cannot be steered`,
      );
    return this.#steer;
  }

  subscribe(listener: (event: BatchEvent) => void): () => void {
    return this.#events.subscribe(listener);
  }

  searchProgress(): SearchProgress | undefined {
    if (!this.spec.search) return undefined;
    return this.#parts?.search?.driver.progress() ?? searchProgress(this.spec.search, this.state, jobsPerTrial(this.spec.search));
  }
}
