import type { BatchSpec } from '../batch/spec.js';
import { HyperctlError } from '../errors.js';
import { unknownJob } from '../text/closest-names.js';
import { storedJob } from '../batch/stored-job.js';
import { jobsToAdd, maxAddedJobs } from './added-jobs.js';
import type { BatchState } from '../state/batch-state.js';
import type { JournalRecord } from '../state/records.js';
import type { BatchEvent } from './events.js';
import type { JobFeed } from './job-feed.js';
import type { ResourcePool } from './resource-pool.js';
import type { SearchDriver } from './search-driver.js';
import { describeSearchStop, type SearchStop } from './search-stop.js';
import { givenProblemMessages, givenTrial } from '../search/space-values.js';
import { isPlainObject } from '../plain-object.js';
import type { JobParams } from '../batch/types.js';
import { backendOf } from '../executors/backends/backend-of.js';

/** A change of a live batch's pace; see {@link BatchSteer.update}. */
export interface SteerUpdate {
  /** Jobs at once: the whole batch's, or with `host`, that machine's. */
  readonly parallelism?: number;
  readonly host?: string;
  /** A search's trial budget: lowered below the trials proposed, it proposes no more. */
  readonly maxTrials?: number;
}

/** What steering needs of the run it steers. */
export interface SteeredRun {
  readonly spec: BatchSpec;
  readonly state: BatchState;
  readonly pool: ResourcePool;
  /** The jobs still to start; undefined for a search (its trials are proposed, not listed). */
  readonly feed: JobFeed | undefined;
  readonly search: SearchDriver | undefined;
  /** Why a search proposes no more, once it said so. */
  searchStop(): SearchStop | undefined;
  /** Journals a record and folds it into the state; false when it could not be written (the run is ending). */
  record(record: JournalRecord): boolean;
  /** The running jobs' kill switches. */
  running(): ReadonlyMap<string, AbortController>;
  /** A job about to run again: early stopping judges it afresh. */
  restart(job: string): void;
  emit(event: BatchEvent): void;
  /** Jobs at once changed: the scheduler widens or narrows what it feeds ahead. */
  onSlots(): void;
}

/**
 * Steers a live run: its parallelism, a pause, retries, priorities, a search's budget. Every
 * change is journalled before it takes effect, so a later run of the batch replays it; one that
 * cannot be journalled is refused.
 */
export class BatchSteer {
  readonly #run: SteeredRun;
  /** Jobs a pause killed: they start again on resume. */
  readonly #pauseKilled = new Set<string>();

  constructor(run: SteeredRun) {
    this.#run = run;
  }

  /** Applies what earlier runs steered (their journalled records, already folded into the state); `ownParallelism`: this run was given one, which wins. */
  replay(ownParallelism: boolean): void {
    const steering = this.#run.state.steering;
    for (const [host, slots] of steering.hostSlots) this.#run.pool.setSlots(host, slots);
    if (steering.parallelism !== undefined && !ownParallelism) this.#setParallelism(steering.parallelism);
    if (steering.maxTrials !== undefined) this.#run.search?.setMaxTrials(steering.maxTrials);
    if (steering.pausedAt !== undefined) this.#run.pool.setPaused(true);
  }

  get pausedAt(): number | undefined {
    return this.#run.state.steering.pausedAt;
  }

  /**
   * Jobs at once, for the whole batch or (with `host`) one machine, and a search's trial budget,
   * from now on; running jobs go on. The whole change is checked first and journalled as one
   * record: all of it takes effect, or (refused) none.
   */
  update(change: SteerUpdate): void {
    const { parallelism, host, maxTrials } = change;
    const search = this.#run.search;
    if (parallelism === undefined && maxTrials === undefined) throw usage('nothing to change: give parallelism or max trials');
    if (parallelism !== undefined && (!Number.isSafeInteger(parallelism) || parallelism < 1))
      throw usage(`parallelism: expected a whole number of at least 1, got ${parallelism}`);
    if (host !== undefined && parallelism === undefined) throw usage(`machine "${host}": give the parallelism it is to take`);
    if (host !== undefined && !this.#run.pool.hosts.includes(host))
      throw usage(`machine "${host}": not a machine of batch ${this.#run.spec.name} (its machines: ${this.#run.pool.hosts.join(', ')})`);
    if (maxTrials !== undefined && !search) throw usage(`batch ${this.#run.spec.name} is not a search: it has no trial budget`);
    if (maxTrials !== undefined && (!Number.isSafeInteger(maxTrials) || maxTrials < 1))
      throw usage(`max-trials: expected a whole number of at least 1, got ${maxTrials}`);
    this.#journal({
      e: 'steer',
      at: Date.now(),
      ...(parallelism !== undefined ? { parallelism, ...(host !== undefined ? { host } : {}) } : {}),
      ...(maxTrials !== undefined ? { maxTrials } : {}),
    });
    if (parallelism !== undefined) {
      if (host !== undefined) this.#run.pool.setSlots(host, parallelism);
      else this.#setParallelism(parallelism);
      this.#said(`${host !== undefined ? `machine ${host}: ` : ''}parallelism ${parallelism} from now on`);
    }
    if (maxTrials !== undefined && search) {
      const before = search.expectedNewJobs();
      search.setMaxTrials(maxTrials);
      // The jobs planned change with the budget: every view's total follows.
      this.#said(`max trials ${maxTrials} from now on`, search.expectedNewJobs() - before);
    }
    this.#run.onSlots();
  }

  /** No job starts until {@link BatchSteer.resume}; with `kill`, the running ones are killed now and start again on resume. */
  pause(kill: boolean): void {
    // Asked for while the pause file holds the batch, it becomes a person's pause: the file's going no longer ends it.
    if (this.pausedAt === undefined || this.#run.state.steering.pausedByFile) this.#journal({ e: 'steer', at: Date.now(), paused: true });
    this.#run.pool.setPaused(true);
    const running = kill ? [...this.#run.running()] : [];
    this.#said(`paused; ${kill ? `killing ${running.length} running job(s), to start again on resume` : 'running jobs go on'}`);
    for (const [name, controller] of running) {
      this.#pauseKilled.add(name);
      controller.abort();
    }
  }

  /**
   * Follows the batch's pause file: while it exists no job starts; once it is gone, the batch goes
   * on, unless someone paused it meanwhile. Said each time it changes.
   */
  followPauseFile(path: string, exists: boolean): void {
    const steering = this.#run.state.steering;
    if (exists && this.pausedAt === undefined) {
      this.#journal({ e: 'steer', at: Date.now(), paused: true, byFile: true });
      this.#run.pool.setPaused(true);
      this.#said(`paused while ${path} exists; running jobs go on`);
    } else if (!exists && steering.pausedByFile) {
      this.resume();
    }
  }

  /** Jobs start again; those a pause killed are queued again. */
  resume(): void {
    if (this.pausedAt !== undefined) this.#journal({ e: 'steer', at: Date.now(), paused: false });
    const again = [...this.#pauseKilled].filter((name) => this.#run.state.get(name)?.status === 'killed');
    this.#pauseKilled.clear();
    this.#run.pool.setPaused(false);
    this.#said('resumed');
    if (again.length > 0 && this.#run.feed) this.retry(again);
  }

  /**
   * Runs ended jobs again (`failed`: every failed one), after those waiting; the names that will
   * run. A running or waiting job is refused, as is a search's (its trials are its own).
   */
  retry(jobs: readonly string[] | 'failed'): string[] {
    const feed = this.#run.feed;
    if (!feed) throw new HyperctlError('E_USAGE', `batch ${this.#run.spec.name} is a search: its trials are proposed by the search, not retried one by one`);
    const state = this.#run.state;
    const names = jobs === 'failed' ? [...state.each()].filter((job) => job.status === 'failed').map((job) => job.name) : [...jobs];
    for (const name of names) {
      const job = state.get(name);
      if (!job) throw unknownJob(this.#run.spec.name, name, [...state.each()]);
      if (job.status === 'running' || job.status === 'init')
        throw new HyperctlError('E_CONFLICT', `job ${name} is ${job.status === 'init' ? 'waiting to run' : 'running'}; only an ended job can be retried`);
    }
    for (const name of names) {
      const spec = state.spec(name)!;
      this.#journal({ e: 'retry', job: name, hash: spec.hash, at: Date.now() });
      this.#run.restart(name);
      feed.push(spec, state.steering.priorities.get(name) ?? 0);
    }
    if (names.length > 0) this.#said(`queued again: ${names.join(', ')}`, names.length);
    return names;
  }

  /**
   * Adds jobs (a config with `jobs`, or a job template; paths against `baseDir`) to run after
   * those waiting; their names. They are the batch's from then on: a later run has them too.
   */
  async add(config: unknown, baseDir: string): Promise<string[]> {
    const feed = this.#run.feed;
    const search = this.#run.search;
    if (search) return this.#queueTrials(search, config);
    if (isSeeds(config))
      throw new HyperctlError('E_USAGE', `batch ${this.#run.spec.name} is not a search: add jobs (-c FILE, or --param NAME=V1,V2,… -- COMMAND), not trials`);
    if (!feed) throw new HyperctlError('E_USAGE', `batch ${this.#run.spec.name} takes no jobs now`);
    const state = this.#run.state;
    const jobs = await jobsToAdd(config, baseDir, this.#run.spec, (name) => state.spec(name) !== undefined);
    // Names may have come meanwhile (another add): checked again where nothing can come between.
    const taken = jobs.find((job) => state.spec(job.name) !== undefined);
    if (taken) throw new HyperctlError('E_CONFIG_INVALID', `batch ${this.#run.spec.name} has a job "${taken.name}" already`);
    this.#journal({ e: 'add', at: Date.now(), jobs: jobs.map((job) => storedJob(this.#run.spec.dataDir, job)) });
    const names = jobs.map((job) => job.name);
    for (const name of names) feed.push(state.spec(name)!, state.steering.priorities.get(name) ?? 0);
    this.#said(`added ${names.length} job(s): ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''}`, names.length);
    return names;
  }

  /**
   * Queues trials of a search with exactly the params given (`{ trials: [{…}, …] }`, or the list
   * itself), each checked against the space: the search proposes them, in order, before any drawn
   * one. They count in its trial budget, which must have room for them. Returns each one's params as JSON.
   */
  #queueTrials(search: SearchDriver, config: unknown): string[] {
    const name = this.#run.spec.name;
    if (!isSeeds(config))
      throw new HyperctlError(
        'E_USAGE',
        `batch ${name} is a search: its jobs are its trials; give the params of trials to queue (--param NAME=VALUE …, or -c FILE with a list of them)`,
      );
    const list: unknown[] = Array.isArray(config) ? config : config.trials;
    if (list.length === 0) throw usage('no trials given: nothing to queue');
    if (list.length > maxAddedJobs)
      throw usage(
        `trials: ${list.length.toLocaleString('en-US')} trials; one batch add takes at most ${maxAddedJobs.toLocaleString('en-US')} (add them in parts)`,
      );
    const issues: string[] = [];
    const trials: JobParams[] = [];
    for (const [i, given] of list.entries()) {
      const at = `trials[${i}]`;
      if (!isPlainObject(given)) {
        issues.push(`${at}: expected the params of a trial, an object`);
        continue;
      }
      const trial = givenTrial(search.space, given);
      if (!('missing' in trial)) {
        trials.push(trial.params);
        continue;
      }
      issues.push(...givenProblemMessages(search.space, trial, at));
    }
    if (issues.length > 0) throw new HyperctlError('E_CONFIG_INVALID', `batch ${name}: ${issues.join('; ')}`, { issues });
    const stop = this.#run.searchStop();
    if (stop) throw new HyperctlError('E_CONFLICT', `batch ${name}: the search proposes no more (${describeSearchStop(stop)}); nothing can be queued`);
    const room = search.room();
    if (room < trials.length)
      throw new HyperctlError(
        'E_CONFLICT',
        `batch ${name}: max trials ${search.maxTrials} leaves room for ${room} more trial(s), not ${trials.length}; raise it first (hyperctl batch update ${name} --max-trials N)`,
      );
    this.#journal({ e: 'steer', at: Date.now(), trials });
    const shown = trials.map((params) => JSON.stringify(params));
    this.#said(`queued ${trials.length} trial(s): ${shown.slice(0, 3).join(', ')}${shown.length > 3 ? ', …' : ''}`);
    this.#run.onSlots();
    return shown;
  }

  /** A waiting job's priority (higher starts first; `first`: above every other); the priority given. */
  prioritize(job: string, priority: number | 'first'): number {
    const state = this.#run.state;
    const found = state.get(job);
    if (!found) throw unknownJob(this.#run.spec.name, job, [...state.each()]);
    if (found.status !== 'init') throw new HyperctlError('E_CONFLICT', `job ${job} is ${found.status}; only a waiting job has a priority`);
    const value = priority === 'first' ? Math.max(0, ...state.steering.priorities.values()) + 1 : priority;
    if (!Number.isInteger(value)) throw usage(`priority: expected a whole number, got ${priority}`);
    this.#journal({ e: 'steer', at: Date.now(), priority: { job, value } });
    this.#run.feed?.setPriority(job, value);
    this.#run.pool.reorder();
    this.#said(`job ${job}: priority ${value}`);
    return value;
  }

  /** Says that the run starts paused, as an earlier run left it. */
  sayPaused(): void {
    const at = this.pausedAt;
    // Local time, as `batch list` and `batch show` show times (the Swedish locale writes it as ISO does, without the zone).
    if (at !== undefined) this.#said(`paused since ${new Date(at).toLocaleString('sv-SE')}: \`hyperctl batch resume ${this.#run.spec.name}\` starts jobs`);
  }

  #said(change: string, queued = 0): void {
    this.#run.emit({ type: 'batch:steer', change, paused: this.pausedAt !== undefined, queued });
  }

  #setParallelism(parallelism: number): void {
    // The local backend's parallelism is its machine's slots; elsewhere it caps all machines together.
    const host = backendOf(this.#run.spec.backend).parallelismHost;
    if (host !== undefined) this.#run.pool.setSlots(host, parallelism);
    else this.#run.pool.setLimit(parallelism);
  }

  #journal(record: JournalRecord): void {
    if (!this.#run.record(record))
      throw new HyperctlError('E_STATE_WRITE', `batch ${this.#run.spec.name}: the change could not be journalled; nothing changed`);
  }
}

/** Trials' params to queue for a search: a list of them, or `{ trials: [...] }`. */
function isSeeds(config: unknown): config is unknown[] | { readonly trials: unknown[] } {
  return Array.isArray(config) || (isPlainObject(config) && Object.keys(config).length === 1 && Array.isArray(config.trials));
}

function usage(message: string): HyperctlError {
  return new HyperctlError('E_USAGE', message);
}
