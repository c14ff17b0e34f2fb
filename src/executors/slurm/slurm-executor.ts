import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResourceConfig, SlurmBackendConfig } from '../../batch/types.js';
import { HyperctlError } from '../../errors.js';
import { batchFolders } from '../../batch/batch-folder.js';
import { detachedExit, exited, failedExit, killedExit, lostExit } from '../job-exit.js';
import { readyHere } from '../job-files.js';
import type { Executor, JobExit, JobLaunch } from '../executor.js';
import { slurmArrayScript, slurmFiles, slurmJobScript } from './job-script.js';
import { sbatchArgs } from './sbatch-args.js';
import { isEnded, isLost, parseQueue } from './slurm-states.js';

/**
 * Options of {@link SlurmExecutor}.
 * @public
 */
export interface SlurmExecutorOptions {
  /** The backend's settings: `partition`, `account`, `qos`, `time`, `sbatch_args`, `max_array_size`, `parallelism`, `poll_interval`. */
  readonly conf: NonNullable<SlurmBackendConfig['conf']>;
  /** The batch's folder, on storage the compute nodes share: array scripts go there. */
  readonly batchDataDir: string;
  /** Environment of Slurm's commands (e.g. `SLURM_CONF`). @defaultValue `process.env` */
  readonly env?: NodeJS.ProcessEnv;
}

interface Submission {
  readonly job: JobLaunch;
  /** Set once submitted: `ARRAYID_TASK`. */
  handle?: string;
  readonly resource: ResourceConfig | undefined;
  readonly timeoutMs: number | undefined;
  readonly resolve: (exit: JobExit) => void;
}

interface Task {
  readonly job: JobLaunch;
  readonly dataDir: string;
  readonly submittedAt: number;
  readonly resolve: (exit: JobExit) => void;
  killed: boolean;
  seen: boolean;
  /** Reported as started: Slurm was seen running it (or it ended between two looks). */
  started: boolean;
}

/** A task missing from the queue this soon after its submission may just not be listed yet. */
const graceMs = 5000;

/**
 * Runs jobs on a Slurm cluster through its commands: jobs arriving together are packed into job
 * arrays (split at the cluster's `MaxArraySize`, throttled by `parallelism`), one `squeue` per poll
 * follows every job of the batch, `scancel` kills. Each job writes its output and exit status into
 * its own data folder, which must be on storage the compute nodes share.
 * @public
 */
export class SlurmExecutor implements Executor {
  /** Always `slurm`. */
  readonly host = 'slurm';
  /** No limit here: Slurm queues and schedules. */
  readonly slots = Number.POSITIVE_INFINITY;
  readonly #options: SlurmExecutorOptions;
  readonly #tasks = new Map<string, Task>();
  #waiting: Submission[] = [];
  #flushTimer: NodeJS.Timeout | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  #polling = false;
  #maxArraySize = 1000;
  #arrays = 0;
  #toCancel = new Set<string>();
  #detached = false;
  #cancelTimer: NodeJS.Timeout | undefined;

  constructor(options: SlurmExecutorOptions) {
    this.#options = options;
  }

  /** Checks that Slurm's commands work here, and reads the cluster's `MaxArraySize`. */
  async open(): Promise<void> {
    let config: string;
    try {
      config = await this.#command('scontrol', ['show', 'config']);
    } catch (error) {
      throw new HyperctlError(
        'E_NO_MACHINE',
        `slurm: cannot ask the cluster (${(error as Error).message}); run hyperctl where sbatch and scontrol work, such as a login node`,
        { cause: error },
      );
    }
    const clusterMax = Number(/^MaxArraySize\s*=\s*(\d+)/m.exec(config)?.[1] ?? 1001) - 1;
    this.#maxArraySize = Math.max(1, Math.min(clusterMax, this.#options.conf.max_array_size ?? clusterMax));
    mkdirSync(join(this.#options.batchDataDir, batchFolders.slurm), { recursive: true });
    const interval = (this.#options.conf.poll_interval ?? 1) * 1000;
    this.#pollTimer = setInterval(() => void this.#poll(), interval);
  }

  /** Submits one job (packed with others that arrive together) and resolves when Slurm is done with it. */
  async run(launch: JobLaunch, signal: AbortSignal): Promise<JobExit> {
    // The cluster's nodes share this folder: the job's files are put here.
    const ready = await readyHere(launch);
    if ('exit' in ready) return ready.exit;
    const { job } = ready;
    return new Promise((resolve) => {
      rmSync(join(job.dataDir, slurmFiles.exit), { force: true });
      writeFileSync(join(job.dataDir, slurmFiles.script), slurmJobScript(job.command, job.dataDir, job.workingDir, job.env), { mode: 0o700 });
      const submission: Submission = { job, resource: job.resource, timeoutMs: job.timeoutMs, resolve };
      this.#waiting.push(submission);
      signal.addEventListener('abort', () => this.#abort(submission), { once: true });
      // Jobs handed over within a moment of each other go into one array.
      this.#flushTimer ??= setTimeout(() => void this.#flush(), 25);
    });
  }

  /**
   * Follows a job an earlier runner submitted (`handle`, e.g. `123_4`): resolves when it ends, or
   * with its recorded outcome if it ended meanwhile; undefined when Slurm knows nothing of it and it
   * left no exit status, so it must run again.
   */
  async reattach(job: JobLaunch, handle: string, signal: AbortSignal): Promise<JobExit | undefined> {
    const entry = (await this.#queue([handle.split('_')[0]!]).catch(() => new Map<string, never>())).get(handle);
    if (!entry && this.#exitStatus(job.dataDir) === undefined) return undefined;
    if (!entry || isEnded(entry.state)) return this.#outcome(job.dataDir, entry?.state, false);
    return new Promise((resolve) => {
      const task: Task = { job, dataDir: job.dataDir, submittedAt: Date.now(), resolve, killed: false, seen: true, started: false };
      this.#tasks.set(handle, task);
      if (entry.state === 'PENDING') job.onQueued?.(handle);
      else this.#started(handle, task);
      signal.addEventListener('abort', () => this.#cancel(handle, task), { once: true });
    });
  }

  /** Lets jobs go on in Slurm when the run is interrupted, instead of cancelling them. */
  detach(): void {
    this.#detached = true;
  }

  /** Stops following the queue. */
  async close(): Promise<void> {
    clearInterval(this.#pollTimer);
    clearTimeout(this.#flushTimer);
    if (this.#toCancel.size > 0) await this.#sendCancels();
  }

  async #flush(): Promise<void> {
    this.#flushTimer = undefined;
    const waiting = this.#waiting;
    this.#waiting = [];
    // One array per kind of job: its tasks share the node resources and the time limit asked for.
    const groups = new Map<string, Submission[]>();
    for (const submission of waiting) {
      const key = JSON.stringify([submission.resource ?? null, submission.timeoutMs ?? null]);
      groups.set(key, [...(groups.get(key) ?? []), submission]);
    }
    for (const group of groups.values()) {
      for (let i = 0; i < group.length; i += this.#maxArraySize) await this.#submit(group.slice(i, i + this.#maxArraySize));
    }
  }

  async #submit(group: readonly Submission[]): Promise<void> {
    const dir = join(this.#options.batchDataDir, batchFolders.slurm);
    const n = ++this.#arrays;
    const manifest = join(dir, `array-${process.pid}-${n}.list`);
    const script = join(dir, `array-${process.pid}-${n}.sh`);
    writeFileSync(manifest, `${group.map((s) => join(s.job.dataDir, slurmFiles.script)).join('\n')}\n`);
    writeFileSync(script, slurmArrayScript(manifest), { mode: 0o700 });
    const first = group[0]!;
    let id: string;
    try {
      const args = sbatchArgs(this.#options.conf, {
        batchName: first.job.batchName,
        tasks: group.length,
        resource: first.resource,
        timeoutMs: first.timeoutMs,
        errorLog: join(dir, 'array-%A_%a.err'),
      });
      id = (await this.#command('sbatch', [...args, script])).trim().split(';')[0]!;
    } catch (error) {
      for (const submission of group) submission.resolve(failedExit(`sbatch failed: ${(error as Error).message}`));
      return;
    }
    group.forEach((submission, i) => {
      const handle = `${id}_${i}`;
      const task: Task = {
        job: submission.job,
        dataDir: submission.job.dataDir,
        submittedAt: Date.now(),
        resolve: submission.resolve,
        killed: false,
        seen: false,
        started: false,
      };
      this.#tasks.set(handle, task);
      submission.handle = handle;
      submission.job.onQueued?.(handle);
    });
  }

  #abort(submission: Submission): void {
    const index = this.#waiting.indexOf(submission);
    if (index >= 0) {
      this.#waiting.splice(index, 1);
      submission.resolve(killedExit(null, null, 'killed before it was submitted'));
      return;
    }
    const handle = submission.handle;
    const task = handle ? this.#tasks.get(handle) : undefined;
    if (handle && task) this.#cancel(handle, task);
  }

  /** Cancels with `scancel`, a whole abort's worth of tasks in one call; or lets it go, when detached. */
  #cancel(handle: string, task: Task): void {
    if (this.#detached) {
      this.#tasks.delete(handle);
      task.resolve(detachedExit());
      return;
    }
    task.killed = true;
    this.#toCancel.add(handle);
    this.#cancelTimer ??= setTimeout(() => void this.#sendCancels(), 25);
  }

  async #sendCancels(): Promise<void> {
    this.#cancelTimer = undefined;
    const handles = [...this.#toCancel];
    this.#toCancel.clear();
    await this.#command('scancel', handles).catch(() => undefined);
    void this.#poll();
  }

  /** One `squeue` for every task of the batch; tasks that ended are resolved. */
  async #poll(): Promise<void> {
    if (this.#polling || this.#tasks.size === 0) return;
    this.#polling = true;
    try {
      const arrays = [...new Set([...this.#tasks.keys()].map((h) => h.split('_')[0]!))];
      let queue: Map<string, { state: string; reason: string }>;
      try {
        queue = await this.#queue(arrays);
      } catch {
        return; // The controller may be busy: look again next time.
      }
      for (const [handle, task] of this.#tasks) {
        const entry = queue.get(handle);
        if (entry) task.seen = true;
        if (entry && entry.state !== 'PENDING') this.#started(handle, task);
        if (entry ? !isEnded(entry.state) : !task.seen && Date.now() - task.submittedAt < graceMs) continue;
        this.#tasks.delete(handle);
        // A job that ran between two looks at the queue still started.
        if (!task.killed || entry?.state !== 'CANCELLED') this.#started(handle, task);
        task.resolve(this.#outcome(task.dataDir, entry?.state, task.killed));
      }
    } finally {
      this.#polling = false;
    }
  }

  #started(handle: string, task: Task): void {
    if (task.started) return;
    task.started = true;
    task.job.onSpawn?.({ handle });
  }

  /** Every task of these arrays, finished ones too while Slurm remembers them: task id → state. */
  async #queue(arrays: readonly string[]): Promise<Map<string, { state: string; reason: string }>> {
    return parseQueue(await this.#command('squeue', ['--noheader', '--array', '--states=all', '--format=%i|%T|%r', `--jobs=${arrays.join(',')}`]));
  }

  #exitStatus(dataDir: string): number | undefined {
    try {
      const code = Number(readFileSync(join(dataDir, slurmFiles.exit), 'utf8').trim());
      return Number.isInteger(code) ? code : undefined;
    } catch {
      return undefined;
    }
  }

  /** How a task ended: its own exit status when it wrote one, else what Slurm's state says. */
  #outcome(dataDir: string, state: string | undefined, killed: boolean): JobExit {
    const code = this.#exitStatus(dataDir);
    const said = state && state !== 'COMPLETED' && state !== 'FAILED' ? `slurm: ${state}` : undefined;
    if (killed) return killedExit(code ?? null, null, said);
    if (code !== undefined) return said ? failedExit(said, code) : exited(code, null);
    if (state && isLost(state)) return lostExit(`slurm: ${state}`);
    return failedExit(state ? `slurm: ${state}` : 'slurm: the job left the queue without an exit status');
  }

  #command(command: string, args: readonly string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(command, args, { env: this.#options.env ?? process.env, timeout: 60_000, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`${command}: ${stderr.trim() || error.message}`));
        else resolve(stdout);
      });
    });
  }
}
