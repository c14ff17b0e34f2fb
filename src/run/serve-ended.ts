import type { BatchSpec } from '../batch/spec.js';
import { onAbort } from '../abortable-wait.js';
import { indexBatch } from '../store/read-batch.js';
import type { BatchState } from '../state/batch-state.js';
import type { BatchSteer } from './batch-steer.js';
import type { BatchEvent, BatchResult } from './events.js';
import type { JobFeed } from './job-feed.js';
import type { RunBatchOptions } from './options.js';
import type { RunControl } from './run-control.js';
import type { RunParts } from './run-parts.js';
import type { SetUp } from './run-setup.js';
import type { ServingDaemon } from './run-view.js';

/** How scheduling ended: whether the batch is served after it, and with rounds of jobs queued meanwhile. */
export interface SchedulingEnd {
  readonly serve: boolean;
  readonly rounds: EndedRun['rounds'];
}

/**
 * Records in the store how scheduling ended, and decides whether the batch is served after it (a
 * daemon, no exit on finish, not stopped, interrupted or faulted): a batch of jobs that ran to its
 * end keeps its journal and machines open for rounds of jobs queued meanwhile; else its machines
 * are let go now.
 */
export async function endScheduling(
  { daemon, executors, store }: Omit<SetUp, 'release'>,
  parts: RunParts | undefined,
  run: {
    readonly spec: BatchSpec;
    readonly state: BatchState;
    readonly options: RunBatchOptions;
    readonly control: RunControl;
    failState(error: unknown): void;
  },
): Promise<SchedulingEnd> {
  const { control } = run;
  const interrupted = control.interrupted;
  let serve =
    daemon !== undefined &&
    !(run.options.exitOnFinish ?? run.spec.daemon.exitOnFinish) &&
    !control.release.aborted &&
    !interrupted &&
    control.fault === undefined;
  let rounds = serve && parts?.feed && !control.drain.aborted ? { feed: parts.feed, steer: parts.steer } : undefined;
  try {
    if (rounds) store.markServing();
    else {
      store.finish(interrupted || control.drain.aborted, serve);
      indexEnded(run);
    }
  } catch (error) {
    run.failState(error);
    serve = false;
    rounds = undefined;
    try {
      store.finish(true);
    } catch {
      // The error that made the state unwritable is the one the run ends with.
    }
  }
  if (!rounds) await Promise.allSettled(executors.map((e) => e.close?.()));
  return { serve, rounds };
}

/** The index of a batch whose run ended (see store/batch-index.ts); a batch that cannot be indexed is folded by its readers. */
function indexEnded(run: { readonly spec: BatchSpec; readonly state: BatchState; readonly control: RunControl }): void {
  try {
    // A run whose state could not be written may hold what its journal does not: its files are folded.
    indexBatch(run.spec, run.control.fault === undefined ? run.state : undefined);
  } catch {
    // read by a fold instead
  }
}

/** What serving a batch after its last job needs of its run. */
export interface EndedRun {
  readonly spec: BatchSpec;
  readonly state: BatchState;
  readonly daemon: ServingDaemon;
  readonly control: RunControl;
  /** The caller's signal: aborting it ends the serving. */
  readonly signal: AbortSignal | undefined;
  /** For a batch of jobs: where jobs queued meanwhile (`job retry`, `batch add`) arrive, and what steers them. */
  readonly rounds: { readonly feed: JobFeed; readonly steer: BatchSteer } | undefined;
  emit(event: BatchEvent): void;
  /** What steers the run from now on. */
  steerWith(steer: BatchSteer): void;
  /** Runs the jobs queued in `feed` as a round of their own, to its result. */
  round(feed: JobFeed): Promise<BatchResult>;
  /** What the rounds keep open, closed once the serving ends. */
  readonly setUp: Omit<SetUp, 'release'>;
  failState(error: unknown): void;
}

/**
 * Serves a batch whose jobs ended until a stop through its API or the caller's signal ends it; jobs
 * queued meanwhile run in rounds. Returns the result of the last round (`result` when none ran).
 */
export async function serveEnded(run: EndedRun, result: BatchResult): Promise<BatchResult> {
  const { control, daemon, rounds } = run;
  let last = result;
  try {
    while (control.fault === undefined && last.status !== 'interrupted') {
      run.emit({ type: 'daemon:serving', url: daemon.url, dashboard: `${daemon.portal}/` });
      if (rounds) run.steerWith(rounds.steer);
      // A batch stop through the API ends the serving too: the user asked the whole run to end.
      const queued = await Promise.race([
        onAbort(run.signal ?? new AbortController().signal),
        onAbort(control.release),
        ...(rounds ? [rounds.feed.whenPushed().then(() => true)] : []),
      ]);
      if (queued !== true || !rounds || control.kill.aborted || control.release.aborted) break;
      last = await run.round(rounds.feed);
    }
  } finally {
    if (rounds) {
      try {
        run.setUp.store.finish(last.status === 'interrupted');
        indexEnded(run);
      } catch (error) {
        run.failState(error);
      }
      await Promise.allSettled(run.setUp.executors.map((e) => e.close?.()));
    }
  }
  return last;
}
