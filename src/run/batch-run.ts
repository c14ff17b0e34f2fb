import type { BatchSpec, JobSpec, SearchSpec } from '../batch/spec.js';
import type { JobStatus } from '../batch/types.js';
import { HyperctlError } from '../errors.js';
import type { Executor } from '../executors/executor.js';
import type { MetricsReport } from '../metrics/metrics-line.js';
import type { JobMetrics } from '../metrics/metrics-tracker.js';
import { BatchState } from '../state/batch-state.js';
import { type JobResult, toJobResult } from '../state/job-result.js';
import type { JobState } from '../state/job-state.js';
import type { JournalRecord } from '../state/records.js';
import { jobsPerTrial, type SearchProgress, searchProgress } from '../state/search-progress.js';
import type { BatchStore } from '../store/batch-store.js';
import { faultOf } from '../store/write-fault.js';
import { onAbort } from '../abortable-wait.js';
import { BatchSteer } from './batch-steer.js';
import { EarlyStop } from './early-stop.js';
import { EventBus } from './event-bus.js';
import type { BatchEvent, BatchResult } from './events.js';
import { JobFeed } from './job-feed.js';
import { JobRunner } from './job-runner.js';
import { LiveMetrics } from './live-metrics.js';
import type { RunBatchOptions } from './options.js';
import { watchPauseFile } from './pause-file.js';
import { RunControl, type StopCause } from './run-control.js';
import { describeStop, runResult } from './run-result.js';
import { aborted, endOrphans, type SetUp, setUpRun } from './run-setup.js';
import type { RunSteering, RunView, ServingDaemon } from './run-view.js';
import { feedSource, Schedule } from './schedule.js';
import { SearchDriver } from './search-driver.js';
import { SearchSource } from './search-source.js';
import { usesResources } from './executors-for.js';

/**
 * One run of a batch, composed of its parts: {@link RunControl} (its phase and what stops it), an
 * {@link EventBus}, {@link JobRunner} (attempts, retries, launches), {@link Schedule} (the one loop,
 * over the batch's jobs or a search's proposals), {@link EarlyStop}, {@link BatchSteer} and the
 * result of {@link runResult}. It knows the daemon that serves it only by its address:
 * {@link runBatch} composes the two.
 */
export class BatchRun implements RunView {
  readonly spec: BatchSpec;
  readonly #options: RunBatchOptions;
  /** Every job's state, folded from the records this run reads and writes. */
  readonly #state: BatchState;
  readonly #metrics: LiveMetrics;
  readonly #control = new RunControl();
  readonly #events: EventBus;
  readonly #earlyStop: EarlyStop | undefined;
  /** True when jobs declare resources: then capacity decides where and when they run. */
  readonly #resourceMode: boolean;
  #startedAt = Date.now();
  #endedAt: number | undefined;
  /** Failures so far, against the batch's `halt` policy. */
  #failures = 0;
  /** Set once the run is set up. */
  #store: BatchStore | undefined;
  #runner: JobRunner | undefined;
  #schedule: Schedule | undefined;
  #search: { readonly driver: SearchDriver; readonly source: SearchSource } | undefined;
  /** Steers the run while it schedules; undefined before and after. */
  #steer: BatchSteer | undefined;
  /** Woken when a job's exit is recorded or the slots change: a search waits on it for a free slot. */
  #waiting: (() => void)[] = [];

  constructor(spec: BatchSpec, options: RunBatchOptions) {
    this.spec = spec;
    this.#options = options;
    this.#state = new BatchState(spec);
    this.#events = new EventBus(options.onEvent, (error) => this.#control.stop({ kind: 'listener-failed', error }));
    this.#metrics = new LiveMetrics(
      (name) => this.#state.spec(name)?.dataDir,
      (job, step, values) => {
        this.#emit({ type: 'job:metrics', job, step, values });
        this.#earlyStop?.judge(job, step, values);
      },
    );
    this.#resourceMode = usesResources(spec);
    this.#earlyStop = EarlyStop.for(spec, {
      record: (report) => this.#store !== undefined && this.#record(report),
      isRunning: (job) => this.#runner?.isRunning(job) ?? false,
      kill: (job) => void this.#runner?.kill(job),
      warn: (message) => this.#emit({ type: 'warning', message }),
      giveUp: (reason) => this.#stopWith({ kind: 'unreported', reason }),
    });
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

  async #runSetUp({ daemon, executors, pool, store }: Omit<SetUp, 'release'>): Promise<BatchResult> {
    this.#startedAt = store.startedAt;
    this.#store = store;
    let result: BatchResult | undefined;
    let serve = false;
    // A batch of jobs (not a search) served after its end takes jobs queued again meanwhile (`job
    // retry`, `batch add`) and runs them in a round of their own: its journal and machines stay open.
    let rounds: { readonly feed: JobFeed; readonly steer: BatchSteer } | undefined;
    let stopWatching: (() => void) | undefined;
    let feed: JobFeed | undefined;
    let steer: BatchSteer | undefined;
    let scheduled = false;
    try {
      await endOrphans(store, this.spec, executors, this.#options.killGraceMs ?? 5000);
      // The state a reader of the disk sees: what earlier runs left, then this run's start.
      this.#state.applyAll([...store.trials, ...store.steering, ...store.previous.values()]).apply(store.runRecord);
      // A search's earlier trials that did not finish run again with their params, before any new one.
      const toRun = this.#state
        .all()
        .filter((job) => job.status === 'init')
        .map((job) => this.#state.spec(job.name)!);
      this.#earlyStop?.resume(
        store.reports,
        toRun.map((job) => job.name),
      );
      this.#runner = this.#jobRunner(store, pool, daemon);
      this.#schedule = new Schedule(() => pool.slots);
      if (this.spec.search) this.#search = this.#searchParts(toRun, pool);
      feed = this.#search ? undefined : new JobFeed(toRun, this.#state.steering.priorities);
      steer = this.#steering(pool, feed);
      this.#startRound(toRun.length + this.#expectedNewJobs(), pool.slots, daemon);
      this.#steer = steer;
      steer.sayPaused();
      const pauseFile = this.spec.pauseFile;
      if (pauseFile) stopWatching = watchPauseFile(pauseFile, (exists) => steer!.followPauseFile(pauseFile, exists));
      await this.#scheduleAll(feed);
      scheduled = true;
    } finally {
      stopWatching?.();
      this.#steer = undefined;
      const interrupted = this.#control.interrupted;
      serve =
        daemon !== undefined &&
        !(this.#options.exitOnFinish ?? this.spec.daemon.exitOnFinish) &&
        !this.#control.release.aborted &&
        !interrupted &&
        this.#control.fault === undefined;
      rounds = serve && scheduled && feed && steer && !this.#control.drain.aborted ? { feed, steer } : undefined;
      try {
        if (rounds) store.markServing();
        else store.finish(interrupted || this.#control.drain.aborted, serve);
      } catch (error) {
        this.#failState(error);
        serve = false;
        rounds = undefined;
        try {
          store.finish(true);
        } catch {
          // The error that made the state unwritable is the one the run ends with.
        }
      }
      if (!rounds) await Promise.allSettled(executors.map((e) => e.close?.()));
      result = this.#end(executors);
    }
    try {
      while (serve && daemon && this.#control.fault === undefined && result.status !== 'interrupted') {
        this.#emit({ type: 'daemon:serving', url: daemon.url, dashboard: `${daemon.portal}/` });
        if (rounds) this.#steer = rounds.steer;
        // A batch stop through the API ends the serving too: the user asked the whole run to end.
        const outer = this.#options.signal ?? new AbortController().signal;
        const queued = await Promise.race([onAbort(outer), onAbort(this.#control.release), ...(rounds ? [rounds.feed.whenPushed().then(() => true)] : [])]);
        if (queued !== true || !rounds || this.#control.kill.aborted || this.#control.release.aborted) break;
        result = await this.#round(rounds.feed, { daemon, executors, pool, store });
      }
    } finally {
      this.#steer = undefined;
      if (rounds) {
        try {
          store.finish(result.status === 'interrupted');
        } catch (error) {
          this.#failState(error);
        }
        await Promise.allSettled(executors.map((e) => e.close?.()));
      }
    }
    const fault = this.#control.fault;
    if (fault) throw fault.error;
    if (this.#control.first('no-machine'))
      throw new HyperctlError('E_NO_MACHINE', `every machine was lost; ${result.counts.init} job(s) did not run; run the batch again to resume it`);
    if (result.status === 'interrupted') throw aborted(this.#options.signal?.reason);
    return result;
  }

  /** The part that runs jobs to their end, with what it needs of this run. */
  #jobRunner(store: BatchStore, pool: SetUp['pool'], daemon: ServingDaemon | undefined): JobRunner {
    return new JobRunner({
      spec: this.spec,
      options: this.#options,
      state: this.#state,
      metrics: this.#metrics,
      control: this.#control,
      pool,
      store,
      portal: daemon?.portal,
      resourceMode: this.#resourceMode,
      earlyStop: this.#earlyStop,
      record: (record) => this.#record(record),
      failState: (error) => this.#failState(error),
      emit: (event) => this.#emit(event),
      failedForGood: () => this.#countFailure(),
      ended: (job, record) => {
        if (record.status === 'succeed') this.#earlyStop?.succeeded(job.name, Object.keys(record.metrics ?? {}));
        this.#wake();
      },
    });
  }

  /** A search's proposer and the source of jobs it makes of its proposals. */
  #searchParts(leftovers: readonly JobSpec[], pool: SetUp['pool']): { driver: SearchDriver; source: SearchSource } {
    const driver = new SearchDriver(this.spec as BatchSpec & { search: SearchSpec }, this.#state);
    const run = this;
    const source = new SearchSource(driver, leftovers, {
      slots: () => (Number.isFinite(pool.slots) ? pool.slots : 256),
      get startedAt() {
        return run.#startedAt;
      },
      drained: this.#control.drain,
      record: (trial) => this.#record(trial),
      warn: (message) => this.#emit({ type: 'warning', message }),
      changed: () => new Promise<void>((resolve) => this.#waiting.push(resolve)),
    });
    return { driver, source };
  }

  #steering(pool: SetUp['pool'], feed: JobFeed | undefined): BatchSteer {
    const steer = new BatchSteer({
      spec: this.spec,
      state: this.#state,
      pool,
      feed,
      search: this.#search?.driver,
      record: (record) => this.#record(record),
      running: () => this.#runner?.running() ?? new Map(),
      restart: (job) => this.#earlyStop?.restart(job),
      emit: (event) => this.#emit(event),
      onSlots: () => {
        this.#schedule?.resize();
        this.#wake();
      },
    });
    steer.replay(this.#options.parallelism !== undefined);
    return steer;
  }

  /** Runs the batch's jobs (from `feed`) or its search's, until done or drained. */
  async #scheduleAll(feed: JobFeed | undefined): Promise<void> {
    this.#control.enter('scheduling');
    const run = (job: JobSpec) => this.#runner!.runToTheEnd(job);
    const search = this.#search;
    if (!search) {
      // Nothing more is fed: steering that would add jobs is refused from here on.
      await this.#schedule!.run(feedSource(feed!), run, this.#control.drain, () => (this.#steer = undefined));
      return;
    }
    try {
      await this.#schedule!.run(search.source, run, this.#control.drain);
    } finally {
      await search.source.finish();
    }
  }

  /** Says the run (or a round of it) starts: what is to run, on how many slots. */
  #startRound(toRun: number, slots: number, daemon: ServingDaemon | undefined): void {
    const { total, succeed, pruned } = this.#state.counts();
    this.#emit({
      type: 'batch:start',
      batch: this.spec.name,
      dataDir: this.spec.dataDir,
      total: total + this.#expectedNewJobs(),
      toRun,
      // Every job not to run ended before: succeeded, or pruned (the run record sent the rest back to run).
      skipped: succeed,
      pruned,
      slots,
      ...(daemon ? { portal: daemon.url } : {}),
    });
  }

  /**
   * Runs the jobs queued while the ended batch was served (retried, added), as a run of their own
   * would: it starts, its jobs run, it ends with a result; the batch is served again after it.
   */
  async #round(feed: JobFeed, { daemon, executors, pool, store }: Omit<SetUp, 'release'>): Promise<BatchResult> {
    this.#endedAt = undefined;
    store.markRunning();
    this.#startRound(feed.size, pool.slots, daemon);
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
    this.#state.settle(endedAt);
    const search = this.#search ? { search: { driver: this.#search.driver, stop: this.#search.source.stop } } : {};
    const interrupted = this.#control.interrupted;
    const result = runResult(this.spec, this.#state, { startedAt: this.#startedAt, endedAt, interrupted, control: this.#control, executors, ...search });
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
      this.#state.apply(record);
      return true;
    } catch (error) {
      this.#failState(error);
      return false;
    }
  }

  /** Stops the batch starting jobs for `cause`, saying so first, unless it has stopped already. */
  #stopWith(cause: Extract<StopCause, { kind: 'halt' | 'unreported' }>): void {
    if (this.#control.drain.aborted) return;
    this.#emit({ type: 'batch:stopping', reason: describeStop(cause), kill: cause.kind === 'halt' && cause.now });
    this.#control.stop(cause);
  }

  /** Applies the batch's `halt` policy after a job failed for good. */
  #countFailure(): void {
    const halt = this.spec.halt;
    if (!halt || ++this.#failures < halt.failures || this.#control.drain.aborted) return;
    this.#stopWith({ kind: 'halt', failures: this.#failures, now: halt.when === 'now' });
    if (halt.when === 'now') this.#runner?.killAll();
  }

  #wake(): void {
    for (const wake of this.#waiting.splice(0)) wake();
  }

  /** Jobs a search is still to propose within its trial budget (0 for a batch, or a search without one). */
  #expectedNewJobs(): number {
    return this.#search?.driver.expectedNewJobs() ?? 0;
  }

  #emit(event: BatchEvent): void {
    this.#events.emit(event);
  }

  states(): Iterable<JobState> {
    return this.#state.each();
  }

  // Made when asked, from the state: a job's result is not kept beside its state.
  result(job: JobState): JobResult {
    return toJobResult(job, this.#state.runStartedAt);
  }

  job(name: string): JobResult | undefined {
    const job = this.#state.get(name);
    return job && this.result(job);
  }

  jobSpec(name: string): JobSpec | undefined {
    return this.#state.spec(name);
  }

  metrics(name: string): Promise<JobMetrics | undefined> {
    return this.#metrics.of(name);
  }

  postMetrics(name: string, report: MetricsReport): Promise<void> {
    return this.#metrics.post(name, report);
  }

  counts(): Record<JobStatus, number> & { total: number } {
    return this.#state.counts();
  }

  killJob(name: string): 'killed' | 'not-running' | 'unknown' {
    if (!this.#state.get(name)) return 'unknown';
    return this.#runner?.kill(name) ? 'killed' : 'not-running';
  }

  stop(kill: boolean): void {
    const cause = { kind: 'asked', kill: kill && this.active } as const;
    if (this.active && !this.#control.drain.aborted) this.#emit({ type: 'batch:stopping', reason: describeStop(cause), kill });
    // Asked after the end too: the serving ends.
    this.#control.stop(cause);
  }

  steer(): RunSteering {
    if (!this.#steer)
      throw new HyperctlError(
        'E_NOT_RUNNING',
        `batch ${this.spec.name} is not running${this.active ? ' (it is starting, or its last jobs are ending)' : ''}: it cannot be steered`,
      );
    return this.#steer;
  }

  get pausedAt(): number | undefined {
    return this.#state.steering.pausedAt;
  }

  subscribe(listener: (event: BatchEvent) => void): () => void {
    return this.#events.subscribe(listener);
  }

  searchProgress(): SearchProgress | undefined {
    if (!this.spec.search) return undefined;
    return this.#search?.driver.progress() ?? searchProgress(this.spec.search, this.#state, jobsPerTrial(this.spec.search));
  }
}
