import type { BatchSpec, JobSpec, SearchSpec } from '../batch/spec.js';
import type { BatchState } from '../state/batch-state.js';
import type { JournalRecord } from '../state/records.js';
import { BatchSteer } from './batch-steer.js';
import type { EarlyStop } from './early-stop.js';
import type { BatchEvent } from './events.js';
import { JobFeed } from './job-feed.js';
import { JobRunner } from './job-runner.js';
import type { LiveMetrics } from './live-metrics.js';
import type { RunBatchOptions } from './options.js';
import type { RunControl } from './run-control.js';
import type { SetUp } from './run-setup.js';
import { maxInFlight, Schedule } from './schedule.js';
import { SearchDriver } from './search-driver.js';
import { SearchSource } from './search-source.js';

/** What the parts of a run are given by the run that composes them. */
export interface RunHooks {
  readonly spec: BatchSpec;
  readonly options: RunBatchOptions;
  readonly state: BatchState;
  readonly metrics: LiveMetrics;
  readonly control: RunControl;
  readonly earlyStop: EarlyStop | undefined;
  readonly resourceMode: boolean;
  /** When the run started: a search's `max_duration` counts from it. */
  readonly startedAt: number;
  /** Journals a record and folds it in; false (and the run is ending) when it could not be written. */
  record(record: JournalRecord): boolean;
  failState(error: unknown): void;
  emit(event: BatchEvent): void;
  /** A job failed for good: the halt policy counts it. */
  failedForGood(): void;
}

/** The parts a run schedules with, made once it is set up. */
export interface RunParts {
  readonly runner: JobRunner;
  readonly schedule: Schedule;
  /** For a search: its proposer, and the source of jobs it makes of its proposals. */
  readonly search: { readonly driver: SearchDriver; readonly source: SearchSource } | undefined;
  /** For a batch of jobs: those waiting, in order of priority (jobs added or retried join them). */
  readonly feed: JobFeed | undefined;
  readonly steer: BatchSteer;
  /** Jobs earlier runs left to run now (a search's unfinished trials' first). */
  readonly toRun: number;
}

/**
 * The parts of a run that is set up, its state made what a reader of the disk sees: what earlier
 * runs left, then this run's start. Jobs not run to their end run now; a search's unfinished
 * trials' jobs first, with their params, before any new one.
 */
export function makeParts(hooks: RunHooks, { daemon, pool, store }: Omit<SetUp, 'release'>): RunParts {
  hooks.state.applyAll([...store.trials, ...store.steering, ...store.previous.values()]).apply(store.runRecord);
  const toRun = hooks.state
    .all()
    .filter((job) => job.status === 'init')
    .map((job) => hooks.state.spec(job.name)!);
  // Early stopping goes on from where the earlier runs left it; a job that runs again is judged afresh.
  hooks.earlyStop?.resume(
    store.reports,
    toRun.map((job) => job.name),
  );
  // Woken when a job's exit is recorded or the slots change: a search waits on it for a free slot.
  const waiting: (() => void)[] = [];
  const wake = () => {
    for (const resolve of waiting.splice(0)) resolve();
  };
  const changed = () => new Promise<void>((resolve) => waiting.push(resolve));
  const runner = new JobRunner({
    ...hooks,
    pool,
    store,
    portal: daemon?.portal,
    ended: (job, record) => {
      if (record.status === 'succeed') hooks.earlyStop?.succeeded(job.name, Object.keys(record.metrics ?? {}));
      wake();
    },
  });
  const schedule = new Schedule(() => pool.slots);
  const search = hooks.spec.search ? searchParts(hooks, toRun, () => pool.slots, changed) : undefined;
  const feed = search ? undefined : new JobFeed(toRun, hooks.state.steering.priorities);
  const steer = new BatchSteer({
    spec: hooks.spec,
    state: hooks.state,
    pool,
    feed,
    search: search?.driver,
    searchStop: () => search?.source.stop,
    record: (record) => hooks.record(record),
    running: () => runner.running(),
    restart: (job) => hooks.earlyStop?.restart(job),
    emit: (event) => hooks.emit(event),
    onSlots: () => {
      schedule.resize();
      wake();
    },
  });
  steer.replay(hooks.options.parallelism !== undefined);
  return { runner, schedule, search, feed, steer, toRun: toRun.length };
}

function searchParts(hooks: RunHooks, leftovers: readonly JobSpec[], slots: () => number, changed: () => Promise<void>): RunParts['search'] {
  const driver = new SearchDriver(hooks.spec as BatchSpec & { search: SearchSpec }, hooks.state);
  const source = new SearchSource(driver, leftovers, {
    // Without a bound on slots, as many as the schedule keeps in flight.
    slots: () => (Number.isFinite(slots()) ? slots() : maxInFlight),
    get startedAt() {
      return hooks.startedAt;
    },
    drained: hooks.control.drain,
    record: (trial) => hooks.record(trial),
    warn: (message) => hooks.emit({ type: 'warning', message }),
    changed,
  });
  return { driver, source };
}
