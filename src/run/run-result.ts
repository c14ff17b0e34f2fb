import type { BatchSpec } from '../batch/spec.js';
import type { Executor } from '../executors/executor.js';
import type { BatchState } from '../state/batch-state.js';
import { toJobResult } from '../state/job-result.js';
import type { BatchResult, SearchResult } from './events.js';
import type { RunControl, StopCause } from './run-control.js';
import type { SearchDriver } from './search-driver.js';
import { describeSearchStop, type SearchStop, searchDidItsWork } from './search-stop.js';

/** How a run ended, as its result is made from it. */
export interface RunEnd {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly interrupted: boolean;
  readonly control: RunControl;
  /** The search and why it proposed no more, for a search. */
  readonly search?: { readonly driver: SearchDriver; readonly stop: SearchStop | undefined };
  readonly executors: readonly Executor[];
}

/**
 * The result of a run from the batch's state once nothing runs: every job, the counts, and the
 * status — `interrupted`, else `succeed` when every job succeeded or was pruned and the batch did
 * what it was asked (its metrics were reported, its sampler did not fail), else `failed`.
 */
export function runResult(spec: BatchSpec, state: BatchState, end: RunEnd): BatchResult {
  const jobs = state.all().map((job) => toJobResult(job, state.runStartedAt));
  const counts = state.counts();
  const workDone = end.control.first('unreported') === undefined && searchDidItsWork(end.search?.stop);
  const status = end.interrupted ? 'interrupted' : counts.succeed + counts.pruned === counts.total && workDone ? 'succeed' : 'failed';
  return {
    name: spec.name,
    dataDir: spec.dataDir,
    status,
    counts: {
      total: counts.total,
      succeed: counts.succeed,
      failed: counts.failed,
      killed: counts.killed,
      pruned: counts.pruned,
      init: counts.init,
      skipped: jobs.filter((job) => job.skipped).length,
    },
    jobs,
    startedAt: end.startedAt,
    endedAt: end.endedAt,
    durationMs: end.endedAt - end.startedAt,
    ...(end.search ? { search: searchResult(state, end) } : {}),
    ...transfersOf(end.executors),
  };
}

function searchResult(state: BatchState, end: RunEnd): SearchResult {
  const { driver, stop } = end.search!;
  const best = driver.best();
  const { algorithm, metric, goal } = driver.search;
  // What made the batch start no more jobs first: a stop, a halt, early stopping giving up.
  const stopping = end.control.causes.find((cause): cause is StoppingCause => cause.kind === 'asked' || cause.kind === 'halt' || cause.kind === 'unreported');
  const stoppedBecause =
    end.control.first('state-unwritable') !== undefined
      ? 'the batch state could not be written'
      : end.interrupted
        ? 'interrupted'
        : stop
          ? describeSearchStop(stop)
          : stopping
            ? describeStop(stopping)
            : end.control.first('no-machine')
              ? 'every machine was lost'
              : 'ended';
  const { objectives, front } = driver.progress();
  return {
    algorithm,
    trials: state.trials().length,
    stoppedBecause,
    ...(metric !== undefined ? { metric } : {}),
    goal,
    ...(best ? { best } : {}),
    ...(objectives && front ? { objectives, front } : {}),
  };
}

/** A cause that stops the batch starting jobs while it runs on: what `batch:stopping` says of it. */
export type StoppingCause = Extract<StopCause, { readonly kind: 'asked' | 'halt' | 'unreported' }>;

/** What `batch:stopping` (and a search's result) says of a {@link StoppingCause}. */
export function describeStop(cause: StoppingCause): string {
  if (cause.kind === 'asked') return 'the batch was stopped';
  return cause.kind === 'halt' ? `${cause.failures} job(s) failed (halt.fail reached)` : cause.reason;
}

/** What the executors moved to and from their machines, when any did. */
function transfersOf(executors: readonly Executor[]): Pick<BatchResult, 'transfers'> {
  const transfers = executors.flatMap(({ host, upload, fetched }) =>
    upload || fetched ? [{ host, ...(upload ? { upload } : {}), ...(fetched && (fetched.files > 0 || fetched.skipped) ? { outputs: fetched } : {}) }] : [],
  );
  return transfers.length > 0 ? { transfers } : {};
}
