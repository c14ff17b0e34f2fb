import type { JobParams } from '../batch/types.js';
import { isPlainObject } from '../plain-object.js';
import type { SteerRecord } from './records.js';
import type { Mutable } from './mutable.js';

/**
 * How a batch is steered now: what its steer records said, each later one over the earlier. The
 * runner starts from it when it runs the batch again; readers show it (`paused`).
 */
export interface Steering {
  /** Jobs at once for the whole batch, when a steer record set it. */
  readonly parallelism?: number;
  /** Jobs at once on a machine, by host, where a steer record set it. */
  readonly hostSlots: ReadonlyMap<string, number>;
  /** A search's trial budget, when a steer record set it. */
  readonly maxTrials?: number;
  /** When it was paused, while it is. */
  readonly pausedAt?: number;
  /** Set while it is paused because its pause file exists: it goes on when the file is gone. */
  readonly pausedByFile?: true;
  /** Waiting jobs' priorities, where set (the default is 0). */
  readonly priorities: ReadonlyMap<string, number>;
  /** Trials queued for a search (`batch add`), in order: the search proposes them before any drawn one. */
  readonly seeds: readonly JobParams[];
}

/** No steering: as the config says. */
export function unsteered(): Steering {
  return { hostSlots: new Map(), priorities: new Map(), seeds: [] };
}

/** Folds one steer record in, in place. */
export function steer(steering: Steering, record: SteerRecord): void {
  const s = steering as Mutable<Steering> & { hostSlots: Map<string, number>; priorities: Map<string, number>; seeds: JobParams[] };
  if (record.parallelism !== undefined) {
    if (record.host !== undefined) s.hostSlots.set(record.host, record.parallelism);
    else s.parallelism = record.parallelism;
  }
  if (record.maxTrials !== undefined) s.maxTrials = record.maxTrials;
  if (record.paused === true) {
    s.pausedAt ??= record.at;
    // A pause asked for by a person outlasts the file: only the file's own pause ends with it.
    if (record.byFile) s.pausedByFile = true;
    else delete s.pausedByFile;
  }
  if (record.paused === false) {
    delete s.pausedAt;
    delete s.pausedByFile;
  }
  // Only objects are params: the driver checks each against the space before it proposes it.
  if (Array.isArray(record.trials)) for (const trial of record.trials) if (isPlainObject(trial)) s.seeds.push(trial as JobParams);
  if (record.priority) {
    if (record.priority.value === 0) s.priorities.delete(record.priority.job);
    else s.priorities.set(record.priority.job, record.priority.value);
  }
}
