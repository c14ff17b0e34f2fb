import { setMaxListeners } from 'node:events';
import { userInfo } from 'node:os';
import { mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import PQueue from 'p-queue';
import type { BatchSpec, JobSpec, SearchSpec } from '../batch/spec.js';
import { type PruneDecision, Pruner } from '../search/pruning.js';
import { SearchDriver } from './search-driver.js';
import { MetricWatch } from './metric-watch.js';
import { watchPauseFile } from './pause-file.js';
import { jobsPerTrial, type SearchProgress, searchProgress } from '../state/search-progress.js';
import type { JobStatus } from '../batch/types.js';
import { HyperctlError, isHyperctlError } from '../errors.js';
import type { MetricsReport } from '../metrics/metrics-line.js';
import { metricsFiles, type JobMetrics } from '../metrics/metrics-tracker.js';
import type { Executor, JobExit, JobLaunch } from '../executors/executor.js';
import type { GpuLease } from '../executors/gpu-lease.js';
import { BatchStore } from '../store/batch-store.js';
import { isEnvironmentFault, stateWriteError } from '../store/write-fault.js';
import type { JournalRecord } from '../state/records.js';
import type { BatchCounts, BatchEvent, BatchResult, SearchResult } from './events.js';
import { BatchState } from '../state/batch-state.js';
import { toJobResult, type JobResult } from '../state/job-result.js';
import type { JobState } from '../state/job-state.js';
import { settleJob } from '../state/reduce.js';
import { backendWarnings, createExecutors, usesResources } from './executors-for.js';
import { type Upload, uploadFor } from '../upload/upload.js';
import { jobEnvironment } from './job-env.js';
import { startLongTimer } from './long-timer.js';
import type { RunBatchOptions } from './options.js';
import { LiveMetrics } from './live-metrics.js';
import type { RunSteering, RunView, ServingDaemon } from './run-view.js';
import { demandOf, type Grant, slotOnly } from './capacity.js';
import { backoffMs, gpuEnvironment, gpuLeaseFor, shouldRetry } from './job-attempts.js';
import { type AttemptOutcome, attemptOutcome, exitRecordOf, type RecordedExit, retryReason } from './attempt-outcome.js';
import type { ResourcePool, Placement } from './resource-pool.js';
import { endOrphans, openExecutors, placeJobs } from './run-setup.js';
import { failedExit, jobExitOf, killedExit } from '../executors/job-exit.js';
import { resolveGpuLockDir } from '../paths.js';
import { onAbort, untilAborted } from '../abortable-wait.js';
import { BatchSteer } from './batch-steer.js';
import { JobFeed } from './job-feed.js';

/** What a run has once it is set up: nothing is written before the store opens. */
interface SetUp {
  readonly daemon: ServingDaemon | undefined;
  readonly executors: readonly Executor[];
  readonly pool: ResourcePool;
  readonly store: BatchStore;
}

/** One attempt at a job: how it ended, when it started, and whether its timeout ended it. */
interface JobRun {
  readonly exit: JobExit;
  readonly startedAt: number;
  readonly timedOut: boolean;
}

/**
 * One run of a batch: decides what to run, schedules jobs on executor slots with p-queue, records
 * every start and exit in the store, and kills on request. It knows the daemon that serves it only
 * by its address: {@link runBatch} composes the two.
 */
export class BatchRun implements RunView {
  readonly spec: BatchSpec;
  readonly #options: RunBatchOptions;
  /** Every job's state, folded from the records this run reads and writes. */
  readonly #state: BatchState;
  readonly #metrics: LiveMetrics;
  readonly #running = new Map<string, AbortController>();
  /** Aborted to end the run: stop starting jobs and kill the running ones. */
  readonly #kill = new AbortController();
  /** Aborted to stop starting jobs while the running ones finish. */
  readonly #drain = new AbortController();
  /** Aborted when a client stops the batch: the run ends, also its serving after the last job. */
  readonly #release = new AbortController();
  /** Failures so far, against the batch's `halt` policy. */
  #failures = 0;
  readonly #listeners = new Set<(event: BatchEvent) => void>();
  #listenerError: unknown;
  /** Set when the batch's state could not be written: the run ends, and rejects with it. */
  #stateError: unknown;
  /** Set when every executor was gone with jobs left to run. */
  #noMachineLeft = false;
  /** True when jobs declare resources: then capacity decides where and when they run. */
  readonly #resourceMode: boolean;
  #startedAt = Date.now();
  #active = true;
  /** A search's proposer, when the batch is a search. */
  #search: SearchDriver | undefined;
  /** Why the search proposed no more trials. */
  #searchStopped: string | undefined;
  /** Why no more jobs start, when a stop or a halt said so. */
  #stoppedBecause: string | undefined;
  /**
   * Set when the search's sampler command failed, or its metric (or early stopping's) went
   * unreported by the first jobs: the batch did not do its work, and does not count as a success.
   */
  #ruleFailed = false;
  /** Whether jobs report early stopping's metric, where no search watches it already. */
  readonly #esWatch: MetricWatch | undefined;
  /** Decides which running jobs to stop early, when the batch says so. */
  readonly #pruner: Pruner | undefined;
  /** Jobs stopped early, and why. */
  readonly #pruned = new Map<string, PruneDecision>();
  /** The store of this run, once open: early stopping journals the reports it judges. */
  #store: BatchStore | undefined;
  /** Called whenever a job's exit is recorded: a search waits on it for a free slot. */
  #onJobEnded: (() => void)[] = [];
  #endedAt: number | undefined;
  /** Steers the run once it schedules; undefined before and after. */
  #steer: BatchSteer | undefined;
  /** Its scheduler's queue, whose width follows the slots. */
  #queue: PQueue | undefined;

  constructor(spec: BatchSpec, options: RunBatchOptions) {
    this.spec = spec;
    this.#options = options;
    this.#state = new BatchState(spec);
    this.#metrics = new LiveMetrics(
      (name) => this.#state.spec(name)?.dataDir,
      (job, step, values) => {
        this.#emit({ type: 'job:metrics', job, step, values });
        this.#judge(job, step, values);
      },
    );
    // Every running job listens to these: many slots are many listeners, not a leak.
    setMaxListeners(0, this.#kill.signal, this.#drain.signal);
    this.#kill.signal.addEventListener('abort', () => this.#drain.abort(), { once: true });
    this.#resourceMode = usesResources(spec);
    this.#pruner = spec.earlyStopping ? new Pruner(spec.earlyStopping) : undefined;
    const es = spec.earlyStopping;
    this.#esWatch = es && es.metric !== spec.search?.metric ? new MetricWatch(es.metric, 'early_stopping.metric', 'job') : undefined;
  }

  /**
   * Judges a running job's report of the early-stopping metric as it is read, and stops the job
   * if the rule says it loses: it is killed as by `job kill` and recorded as pruned, with the
   * rule's reason.
   */
  #judge(name: string, step: number, values: Readonly<Record<string, number | string>>): void {
    const rule = this.spec.earlyStopping;
    const controller = this.#running.get(name);
    const value = rule && values[rule.metric];
    if (!this.#pruner || !controller || !this.#store || this.#pruned.has(name) || typeof value !== 'number' || !Number.isFinite(value)) return;
    // Journalled before it is judged: a re-run replays what this run decided on.
    if (!this.#record(this.#store, { e: 'report', job: name, step, value })) return;
    const decision = this.#pruner.report(name, step, value);
    if (!decision) return;
    this.#pruned.set(name, decision);
    controller.abort();
  }

  get startedAt(): number {
    return this.#startedAt;
  }

  get active(): boolean {
    return this.#active;
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
    const outer = this.#options.signal;
    if (outer?.aborted) {
      await daemon?.close();
      throw aborted(outer.reason);
    }
    const upload = this.#options.executors ? undefined : uploadFor(this.spec);
    const all =
      this.#options.executors ??
      createExecutors(this.spec, this.#options, upload, {
        onUploadProgress: (host, sent, total) => this.#emit({ type: 'host:upload-progress', host, sent, total }),
        onWarning: (message) => this.#emit({ type: 'warning', message: `local: ${message}` }),
      });
    // Listening from the very start: a Ctrl-C while machines are probed must not be lost.
    const onOuterAbort = () => {
      // Jobs a cluster scheduler runs may go on without this runner: a later run follows them.
      if (this.#options.onInterrupt === 'leave') for (const executor of all) executor.detach?.();
      this.#kill.abort(outer?.reason);
    };
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    try {
      const setUp = await this.#setUp(all, daemon, upload);
      return await this.#runSetUp(setUp);
    } finally {
      outer?.removeEventListener('abort', onOuterAbort);
    }
  }

  /**
   * Opens the executors, places the jobs and opens the store, in that order, so that a failure (or
   * an abort) before the store opens leaves nothing written.
   */
  async #setUp(all: readonly Executor[], daemon: ServingDaemon | undefined, upload: Upload | undefined): Promise<SetUp> {
    const stopIfAborted = () => {
      if (this.#kill.signal.aborted) throw aborted(this.#options.signal?.reason);
    };
    try {
      for (const message of backendWarnings(this.spec, daemon !== undefined)) this.#emit({ type: 'warning', message });
      // The folder is read before any machine is asked: one too big fails the run with nothing sent or written.
      for (const message of (await upload?.snapshot())?.warnings ?? []) this.#emit({ type: 'warning', message: `upload: ${message}` });
      const executors = await openExecutors(all, (host, reason) => this.#emit({ type: 'host:down', host, reason }));
      // Every machine has the upload now (it is sent when a machine opens): its archive can go.
      await upload?.close();
      for (const { host, upload: report } of executors) if (report) this.#emit({ type: 'host:upload', host, ...report });
      stopIfAborted();
      const pool = await placeJobs(this.spec, executors, this.#resourceMode, (message) => this.#emit({ type: 'warning', message }));
      stopIfAborted();
      const store = BatchStore.open(this.spec, {
        ...(daemon ? { daemon: { portal: daemon.url, token: daemon.token } } : {}),
        force: this.#options.force === true,
      });
      // Said once the batch is this run's: a second run of a running batch ends on that, not on a port.
      if (daemon?.notice) this.#emit({ type: 'warning', message: daemon.notice });
      return { daemon, executors, pool, store };
    } catch (error) {
      await Promise.allSettled(all.map((e) => e.close?.()));
      await upload?.close();
      await daemon?.close();
      throw error;
    }
  }

  async #runSetUp({ daemon, executors, pool, store }: SetUp): Promise<BatchResult> {
    const outer = this.#options.signal;
    this.#startedAt = store.startedAt;
    let result: BatchResult | undefined;
    let serve = false;
    let feed: JobFeed | undefined;
    let steer: BatchSteer | undefined;
    let stopWatching: (() => void) | undefined;
    let scheduled = false;
    // A batch of jobs (not a search) served after its end takes jobs queued again meanwhile (`job
    // retry`, `batch add`) and runs them in a round of their own: its journal and machines stay open.
    let rounds: { readonly feed: JobFeed; readonly steer: BatchSteer } | undefined;
    try {
      await endOrphans(store, this.spec, executors, this.#options.killGraceMs ?? 5000);
      // The state a reader of the disk sees: what earlier runs left, then this run's start.
      this.#state.applyAll([...store.trials, ...store.steering, ...store.previous.values()]).apply(store.runRecord);
      // A search's earlier trials that did not finish run again with their params, before any new one.
      const toRun = this.#state
        .all()
        .filter((job) => job.status === 'init')
        .map((job) => this.#state.spec(job.name)!);
      // Early stopping goes on from where the earlier runs left it: their reports, in order; a job
      // that runs again is judged afresh.
      if (this.#pruner) {
        for (const report of store.reports) this.#pruner.report(report.job, report.step, report.value);
        for (const job of toRun) this.#pruner.restart(job.name);
      }
      this.#store = store;
      if (this.spec.search) this.#search = new SearchDriver(this.spec as BatchSpec & { search: SearchSpec }, this.#state);
      feed = this.spec.search ? undefined : new JobFeed(toRun, this.#state.steering.priorities);
      steer = new BatchSteer({
        spec: this.spec,
        state: this.#state,
        pool,
        feed,
        search: this.#search,
        record: (record) => this.#record(store, record),
        running: () => this.#running,
        restart: (job) => {
          this.#pruned.delete(job);
          this.#pruner?.restart(job);
        },
        emit: (event) => this.#emit(event),
        onSlots: () => this.#onSlots(pool),
      });
      steer.replay(this.#options.parallelism !== undefined);
      // What the machines allow, as steered: an earlier run's `batch update` is in force.
      const slots = pool.slots;
      this.#emit({
        type: 'batch:start',
        batch: this.spec.name,
        dataDir: this.spec.dataDir,
        total: this.#state.counts().total + this.#expectedNewJobs(),
        toRun: toRun.length + this.#expectedNewJobs(),
        // Every job not to run ended before: succeeded, or pruned (the run record sent the rest back to run).
        skipped: this.#state.counts().succeed,
        pruned: this.#state.counts().pruned,
        slots,
        ...(daemon ? { portal: daemon.url } : {}),
      });
      this.#steer = steer;
      steer.sayPaused();
      const pauseFile = this.spec.pauseFile;
      if (pauseFile) stopWatching = watchPauseFile(pauseFile, (exists) => steer!.followPauseFile(pauseFile, exists));
      if (this.#search) await this.#scheduleSearch(this.#search, toRun, pool, store, daemon);
      else await this.#schedule(feed!, pool, store, daemon);
      scheduled = true;
    } finally {
      stopWatching?.();
      this.#steer = undefined;
      const faulted = this.#listenerError !== undefined || this.#stateError !== undefined;
      const interrupted = this.#kill.signal.aborted && !faulted;
      serve =
        daemon !== undefined && !(this.#options.exitOnFinish ?? this.spec.daemon.exitOnFinish) && !this.#release.signal.aborted && !interrupted && !faulted;
      rounds = serve && scheduled && feed && steer && !this.#drain.signal.aborted ? { feed, steer } : undefined;
      try {
        if (rounds) store.markServing();
        else store.finish(interrupted || this.#drain.signal.aborted, serve);
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
      this.#active = false;
      result = this.#result(interrupted, executors);
      this.#endedAt = result.endedAt;
      this.#emit({ type: 'batch:end', result });
    }
    try {
      while (serve && daemon && this.#listenerError === undefined && this.#stateError === undefined && result.status !== 'interrupted') {
        this.#emit({ type: 'daemon:serving', url: daemon.url, dashboard: `${daemon.portal}/` });
        if (rounds) this.#steer = rounds.steer;
        // A batch stop through the API ends the serving too: the user asked the whole run to end.
        const queued = await Promise.race([
          onAbort(outer ?? new AbortController().signal),
          onAbort(this.#release.signal),
          ...(rounds ? [rounds.feed.whenPushed().then(() => true)] : []),
        ]);
        if (queued !== true || !rounds || this.#kill.signal.aborted || this.#release.signal.aborted) break;
        result = await this.#round(rounds.feed, pool, store, daemon, executors);
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
      await daemon?.close();
      store.release();
    }
    if (this.#listenerError !== undefined) throw this.#listenerError;
    if (this.#stateError !== undefined) throw this.#stateError;
    if (this.#noMachineLeft)
      throw new HyperctlError('E_NO_MACHINE', `every machine was lost; ${result.counts.init} job(s) did not run; run the batch again to resume it`);
    if (result.status === 'interrupted') throw aborted(outer?.reason);
    return result;
  }

  /**
   * Runs the jobs queued while the ended batch was served (retried, added), as a run of their own
   * would: it starts, its jobs run, it ends with a result; the batch is served again after it.
   */
  async #round(feed: JobFeed, pool: ResourcePool, store: BatchStore, daemon: ServingDaemon, executors: readonly Executor[]): Promise<BatchResult> {
    this.#active = true;
    this.#endedAt = undefined;
    store.markRunning();
    const total = this.#state.counts().total;
    const { succeed, pruned } = this.#state.counts();
    this.#emit({
      type: 'batch:start',
      batch: this.spec.name,
      dataDir: this.spec.dataDir,
      total,
      toRun: feed.size,
      skipped: succeed,
      pruned,
      slots: pool.slots,
      portal: daemon.url,
    });
    await this.#schedule(feed, pool, store, daemon);
    const interrupted = this.#kill.signal.aborted && this.#listenerError === undefined && this.#stateError === undefined;
    try {
      if (!interrupted) store.markServing();
    } catch (error) {
      this.#failState(error);
    }
    this.#active = false;
    const result = this.#result(interrupted, executors);
    this.#endedAt = result.endedAt;
    this.#emit({ type: 'batch:end', result });
    return result;
  }

  /**
   * The batch's state could not be written (a full disk): nothing more can be recorded, so the
   * run ends as after an abort: no job starts, running ones are killed. The first such error is
   * what the run rejects with.
   */
  #failState(error: unknown): void {
    if (this.#stateError !== undefined) return;
    this.#stateError = error;
    // The error itself, with how to resume, is what the run ends with; the warning says it as it happens.
    this.#emit({ type: 'warning', message: `${(error as Error).message.split('; ')[0]}; stopping the batch` });
    this.#kill.abort(error);
  }

  /** Appends to the journal; false (and the run is ending) when that failed. */
  #record(store: BatchStore, record: JournalRecord): boolean {
    try {
      store.record(record);
      this.#state.apply(record);
      return true;
    } catch (error) {
      this.#failState(error);
      return false;
    }
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
    const controller = this.#running.get(name);
    controller?.abort();
    return controller ? 'killed' : 'not-running';
  }

  stop(kill: boolean): void {
    if (this.#active && !this.#drain.signal.aborted) this.#stopping('the batch was stopped', kill);
    this.#drain.abort();
    this.#release.abort();
    if (kill && this.#active) this.#kill.abort(new HyperctlError('E_ABORTED', 'the batch was stopped'));
  }

  steer(): RunSteering {
    if (!this.#steer)
      throw new HyperctlError(
        'E_NOT_RUNNING',
        `batch ${this.spec.name} is not running${this.#active ? ' (it is starting, or its last jobs are ending)' : ''}: it cannot be steered`,
      );
    return this.#steer;
  }

  get pausedAt(): number | undefined {
    return this.#state.steering.pausedAt;
  }

  /** Says that no more jobs start, and why (a search's result says it too). */
  #stopping(reason: string, kill: boolean): void {
    this.#stoppedBecause ??= reason;
    this.#emit({ type: 'batch:stopping', reason, kill });
  }

  subscribe(listener: (event: BatchEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** More jobs in flight than slots: while one finishes its bookkeeping, the next already waits at the pool for its slot. */
  #window(pool: ResourcePool): number {
    const slots = pool.slots;
    return Number.isFinite(slots) ? Math.min(slots * 2 + 2, maxInFlight) : maxInFlight;
  }

  /** The slots changed (steered): the queue's width follows, and a search waiting for a free slot looks again. */
  #onSlots(pool: ResourcePool): void {
    if (this.#queue) this.#queue.concurrency = this.#window(pool);
    for (const resolve of this.#onJobEnded.splice(0)) resolve();
  }

  /**
   * Feeds the queue from `feed` a little ahead of the slots, so a huge batch never sits in it at
   * once; ends when nothing waits and nothing runs (jobs added or retried before then are run).
   */
  async #schedule(feed: JobFeed, pool: ResourcePool, store: BatchStore, daemon: ServingDaemon | undefined): Promise<void> {
    const queue = new PQueue({ concurrency: this.#window(pool) });
    this.#queue = queue;
    const drained = this.#drain.signal;
    for (;;) {
      const window = this.#window(pool);
      if (queue.size >= window) await untilAborted(queue.onSizeLessThan(window), drained);
      if (drained.aborted) break;
      const job = feed.take();
      if (job) {
        void queue.add(() => this.#runToTheEnd(job, pool, store, daemon));
        continue;
      }
      if (queue.size === 0 && queue.pending === 0) break;
      await untilAborted(Promise.race([feed.whenPushed(), queue.onIdle()]), drained);
    }
    // Nothing more is fed: steering that would add jobs is refused from here on.
    this.#steer = undefined;
    await queue.onIdle();
  }

  /** Jobs a search is still to propose within its trial budget (0 for a batch, or a search without one). */
  #expectedNewJobs(): number {
    return this.#search?.expectedNewJobs() ?? 0;
  }

  searchProgress(): SearchProgress | undefined {
    if (!this.spec.search) return undefined;
    return this.#search?.progress() ?? searchProgress(this.spec.search, this.#state, jobsPerTrial(this.spec.search));
  }

  /**
   * A search's schedule: the unfinished jobs of earlier trials first, then a new trial whenever
   * fewer of its jobs are unfinished than there are slots, so each proposal knows every result it
   * can (with one slot, all before it: a resumed search proposes exactly what an uninterrupted one
   * would). Each trial is journalled before its jobs start.
   */
  async #scheduleSearch(
    search: SearchDriver,
    leftovers: readonly JobSpec[],
    pool: ResourcePool,
    store: BatchStore,
    daemon: ServingDaemon | undefined,
  ): Promise<void> {
    const queue = new PQueue({ concurrency: this.#window(pool) });
    this.#queue = queue;
    const slots = () => (Number.isFinite(pool.slots) ? pool.slots : this.#window(pool));
    const drained = this.#drain.signal;
    for (const job of leftovers) void queue.add(() => this.#runToTheEnd(job, pool, store, daemon));
    try {
      for (;;) {
        while (!drained.aborted && search.unfinishedJobs() >= slots()) {
          await untilAborted(new Promise<void>((resolve) => this.#onJobEnded.push(resolve)), drained);
          this.#sayNotes(search);
        }
        if (drained.aborted) break;
        this.#sayNotes(search);
        const reason = search.stopReason(this.#startedAt);
        // The budget is spent but trials still run: it may yet be raised while they do.
        if (reason?.startsWith('max_trials') && search.unfinishedJobs() > 0) {
          await untilAborted(new Promise<void>((resolve) => this.#onJobEnded.push(resolve)), drained);
          continue;
        }
        let trial: Awaited<ReturnType<SearchDriver['next']>>;
        try {
          trial = reason ?? (await search.next());
        } catch (error) {
          // A sampler that fails ends the proposing; the trials under way finish.
          if (!isHyperctlError(error) || error.code !== 'E_SAMPLER') throw error;
          this.#ruleFailed = true;
          this.#emit({ type: 'warning', message: error.message });
          trial = error.message;
        }
        if (typeof trial === 'string') {
          this.#searchStopped = trial;
          // Trials that report nothing it can learn from: the search did not do its work.
          if (trial === search.blind) this.#ruleFailed = true;
          break;
        }
        if (drained.aborted || !this.#record(store, trial)) break;
        for (const job of search.jobsOf(trial)) void queue.add(() => this.#runToTheEnd(job, pool, store, daemon));
      }
      await queue.onIdle();
      this.#sayNotes(search);
    } finally {
      await search.close();
    }
    // What the last trials reached counts too: a target met by the very last one is why it ended.
    if (this.#searchStopped?.startsWith('max_trials') || this.#searchStopped === undefined) {
      const reason = search.stopReason(this.#startedAt);
      if (reason?.startsWith('target')) this.#searchStopped = reason;
    }
  }

  /** Takes in a job that succeeded: early stopping that no job feeds is said, and after the first few, ends the batch. */
  #watchEarlyStopping(job: string, reported: readonly string[]): void {
    const note = this.#esWatch?.ended(job, reported);
    if (note) this.#emit({ type: 'warning', message: note });
    const reason = this.#esWatch?.stopReason();
    if (!reason || this.#drain.signal.aborted) return;
    this.#ruleFailed = true;
    this.#stopping(reason, false);
    this.#drain.abort();
  }

  /** Says the search's warnings of trials that ended without its metric. */
  #sayNotes(search: SearchDriver): void {
    for (const message of search.takeNotes()) this.#emit({ type: 'warning', message });
  }

  /** Runs a job until it succeeds, or fails in a way (or as often) that the retry policy leaves it at. */
  async #runToTheEnd(job: JobSpec, pool: ResourcePool, store: BatchStore, daemon: ServingDaemon | undefined): Promise<void> {
    const demand = this.#resourceMode ? demandOf(job.resource) : slotOnly;
    const lostOn = new Set<Executor>();
    for (let attempt = 0; ; attempt++) {
      const placement = await pool.take(demand, lostOn, this.#drain.signal, () => this.#state.steering.priorities.get(job.name) ?? 0);
      if (!placement) {
        // Every machine that could run it is gone: start no more jobs; those left stay `init` for a re-run.
        if (!this.#drain.signal.aborted) this.#noMachineLeft = true;
        this.#drain.abort();
        return;
      }
      // Placed, then the run stopped starting jobs before this turn came (a halt decided on an exit
      // read in the same moment): it does not start, and stays `init`.
      if (this.#drain.signal.aborted) {
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
        const run = await this.#runJob(job, placement, store, daemon, handle);
        const { exit } = run;
        // Left to the scheduler on an interrupt: its start record stays the last word, for a re-run to follow.
        if (exit.outcome === 'detached') return this.#metrics.unfollow(job.name);
        if (exit.outcome === 'lease-busy') {
          // Another run holds its GPUs there: nothing started, nothing recorded; it waits to be placed again.
          this.#metrics.unfollow(job.name);
          this.#tellLeasedElsewhere(placement);
          pool.holdElsewhere(placement.executor, placement.grant.gpus, leaseRetryMs);
          give();
          attempt--;
          continue;
        }
        const outcome = attemptOutcome(exit, job, {
          timedOut: run.timedOut,
          ...(this.#pruned.has(job.name) ? { prunedBecause: this.#pruned.get(job.name)!.reason } : {}),
        });
        const { cause } = outcome;
        if (cause !== undefined && shouldRetry(this.spec, job, cause, attempt) && !this.#drain.signal.aborted) {
          give();
          if (cause === 'lost') lostOn.add(placement.executor);
          this.#emit({ type: 'job:retry', job: job.name, host: placement.executor.host, reason: retryReason(exit, cause), attempt: attempt + 1 });
          // A drain ends the wait and its timer (a back-off can be long).
          await sleep(backoffMs(this.spec, cause, attempt), undefined, { signal: this.#drain.signal }).catch(() => undefined);
          if (!this.#drain.signal.aborted) continue;
        }
        await this.#recordExit(job, placement.executor, { ...run, exit }, outcome, store);
        if (cause !== undefined) this.#countFailure();
        return;
      } finally {
        give();
      }
    }
  }

  /** Applies the batch's `halt` policy after a job failed for good. */
  #countFailure(): void {
    const halt = this.spec.halt;
    if (!halt || ++this.#failures < halt.failures || this.#drain.signal.aborted) return;
    this.#stopping(`${this.#failures} job(s) failed (halt.fail reached)`, halt.when === 'now');
    this.#drain.abort();
    if (halt.when === 'now') for (const controller of this.#running.values()) controller.abort();
  }

  async #runJob(job: JobSpec, { executor, grant }: Placement, store: BatchStore, daemon: ServingDaemon | undefined, handle?: string): Promise<JobRun> {
    const controller = new AbortController();
    const stop = () => controller.abort();
    this.#kill.signal.addEventListener('abort', stop, { once: true });
    if (this.#kill.signal.aborted) controller.abort();
    this.#running.set(job.name, controller);
    let startedAt = Date.now();
    let timedOut = false;
    let stopTimer: (() => void) | undefined;
    let exit: JobExit;
    try {
      const paramsFile = join(job.dataDir, 'params.json');
      const paramsJson = JSON.stringify(job.params);
      try {
        prepareJobFolder(job.dataDir, paramsFile, paramsJson);
      } catch (error) {
        if (!isEnvironmentFault(error)) throw error;
        this.#failState(stateWriteError(job.dataDir, error));
        return { exit: killedExit(null, null, 'not started: its folder could not be written'), startedAt, timedOut };
      }
      this.#metrics.follow(job);
      const capture = this.#options.captureOutput;
      const launch: JobLaunch = {
        name: job.name,
        batchName: this.spec.name,
        command: job.command,
        params: job.params,
        workingDir: job.workingDir,
        ...(job.workingDirAsWritten !== undefined ? { workingDirAsWritten: job.workingDirAsWritten } : {}),
        dataDir: job.dataDir,
        ...(job.outputs ? { outputs: job.outputs } : {}),
        ...(job.assets ? { assets: job.assets } : {}),
        ...(this.spec.privateTmp ? { privateTmp: true } : {}),
        env: { ...jobEnvironment(this.spec, job, paramsFile, paramsJson, daemon?.portal), ...(this.#resourceMode ? gpuEnvironment(grant) : {}) },
        ...this.#gpuLease(job, grant),
        stdoutPath: join(job.dataDir, 'stdout'),
        stderrPath: join(job.dataDir, 'stderr'),
        ...(capture ? { onOutput: (stream: 'stdout' | 'stderr', chunk: Buffer) => this.#emit({ type: 'job:output', job: job.name, stream, chunk }) } : {}),
        ...(job.resource ? { resource: job.resource } : {}),
        ...(job.timeoutMs !== undefined ? { timeoutMs: job.timeoutMs } : {}),
        onQueued: (id) =>
          void this.#record(store, { e: 'start', job: job.name, hash: job.hash, at: Date.now(), handle: id, queued: true, host: executor.host }),
        onSpawn: ({ pid, startTicks, handle: id }) => {
          startedAt = Date.now();
          // The clock of a timeout runs from the start, not from a wait in a scheduler's queue.
          if (job.timeoutMs !== undefined) {
            stopTimer = startLongTimer(job.timeoutMs, () => {
              timedOut = true;
              controller.abort();
            });
          }
          // Unrecorded, the job would be unknown to a re-run: the failed record ends the run, and the job with it.
          if (!this.#record(store, { e: 'start', job: job.name, hash: job.hash, at: startedAt, pid, ticks: startTicks, handle: id, host: executor.host }))
            return;
          this.#emit({ type: 'job:start', job: job.name, host: executor.host, pid, at: startedAt });
        },
      };
      const followed = handle && executor.reattach ? await executor.reattach(launch, handle, controller.signal) : undefined;
      // A job killed before it started never reaches an executor: no executor checks for it.
      const ended =
        followed ?? (controller.signal.aborted ? killedExit(null, null, 'killed before it started') : await executor.run(launch, controller.signal));
      exit = jobExitOf(ended);
    } catch (error) {
      const reason = `${executor.host}: ${(error as Error).message}`;
      exit = controller.signal.aborted ? killedExit(null, null, reason) : failedExit(reason);
    } finally {
      stopTimer?.();
      this.#kill.signal.removeEventListener('abort', stop);
      this.#running.delete(job.name);
    }
    return { exit, startedAt, timedOut };
  }

  /** The lease on its GPUs a job takes where it runs, with who holds it as `hyperctl gpus` shows it. */
  /** Machines where GPUs were found held by another run: said once each, not at every try. */
  readonly #leasedElsewhere = new Set<string>();

  #tellLeasedElsewhere({ executor, grant }: Placement): void {
    if (this.#leasedElsewhere.has(executor.host)) return;
    this.#leasedElsewhere.add(executor.host);
    this.#emit({
      type: 'warning',
      message: `${executor.host}: GPU ${grant.gpus.join(', ')} held by another run (see hyperctl gpus); jobs that need it wait for it`,
    });
  }

  /** Who runs this run, as GPU leases name it: asked once (it reads the user database). */
  #user: string | undefined;

  #gpuLease(job: JobSpec, grant: Grant): { gpuLease?: GpuLease } {
    if (!this.#resourceMode || grant.gpus.length === 0) return {};
    this.#user ??= currentUser();
    const holder = `batch ${this.spec.name} · job ${job.name} · user ${this.#user} · since ${new Date().toISOString()}`;
    return { gpuLease: gpuLeaseFor(grant, holder, resolveGpuLockDir(this.#options.gpuLockDir)) };
  }

  async #recordExit(
    job: JobSpec,
    executor: Executor,
    { exit, startedAt }: JobRun & { exit: RecordedExit },
    outcome: AttemptOutcome,
    store: BatchStore,
  ): Promise<void> {
    const metrics = await this.#metrics.final(job.name);
    const record = exitRecordOf(job, exit, outcome, { host: executor.host, startedAt, at: Date.now(), metrics });
    const recorded = this.#record(store, record);
    if (record.status === 'succeed') this.#watchEarlyStopping(job.name, Object.keys(metrics ?? {}));
    for (const wake of this.#onJobEnded.splice(0)) wake();
    // What was not recorded did not happen, as far as a re-run knows: shown as a reader of the disk will see it.
    const state = this.#state.get(job.name)!;
    this.#emit({ type: 'job:exit', job: toJobResult(recorded ? state : settleJob(state, record.at), this.#state.runStartedAt) });
  }

  #result(interrupted: boolean, executors: readonly Executor[]): BatchResult {
    const endedAt = Date.now();
    // Nothing runs any more: what the journal left open ends as a reader of the disk will see it.
    this.#state.settle(endedAt);
    const jobs = this.#state.all().map((job) => this.result(job));
    const counts: Record<keyof BatchCounts, number> = { ...this.#state.counts(), skipped: jobs.filter((job) => job.skipped).length };
    // A pruned job lost by its metric, as asked: the batch did what it was told.
    const status = interrupted ? 'interrupted' : counts.succeed + counts.pruned === counts.total && !this.#ruleFailed ? 'succeed' : 'failed';
    return {
      name: this.spec.name,
      dataDir: this.spec.dataDir,
      status,
      counts: {
        total: counts.total,
        succeed: counts.succeed,
        failed: counts.failed,
        killed: counts.killed,
        pruned: counts.pruned,
        init: counts.init,
        skipped: counts.skipped,
      },
      jobs,
      startedAt: this.#startedAt,
      endedAt,
      durationMs: endedAt - this.#startedAt,
      ...(this.#search ? { search: this.#searchResult(this.#search, interrupted) } : {}),
      ...transfersOf(executors),
    };
  }

  #searchResult(search: SearchDriver, interrupted: boolean): SearchResult {
    const best = search.best();
    const { algorithm, metric, goal } = search.search;
    const stoppedBecause =
      this.#stateError !== undefined
        ? 'the batch state could not be written'
        : interrupted
          ? 'interrupted'
          : (this.#searchStopped ?? this.#stoppedBecause ?? (this.#noMachineLeft ? 'every machine was lost' : 'ended'));
    return { algorithm, trials: this.#state.trials().length, stoppedBecause, ...(metric !== undefined ? { metric } : {}), goal, ...(best ? { best } : {}) };
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

/** What the executors moved to and from their machines, when any did. */
function transfersOf(executors: readonly Executor[]): Pick<BatchResult, 'transfers'> {
  const transfers = executors.flatMap(({ host, upload, fetched }) =>
    upload || fetched ? [{ host, ...(upload ? { upload } : {}), ...(fetched && (fetched.files > 0 || fetched.skipped) ? { outputs: fetched } : {}) }] : [],
  );
  return transfers.length > 0 ? { transfers } : {};
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

/** Jobs waiting for a place at once, at most: a bound on memory and on the pool's work per change. */
const maxInFlight = 256;

/** How long GPUs another run holds are left alone before a job tries them again. */
const leaseRetryMs = 1000;

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'unknown');
  }
}

function aborted(reason: unknown): HyperctlError {
  return new HyperctlError('E_ABORTED', 'the batch run was aborted; running jobs were killed and recorded', { cause: reason });
}
