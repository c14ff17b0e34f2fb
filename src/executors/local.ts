import { execFile, spawn } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { availableParallelism, totalmem } from 'node:os';
import type { CapacityConfig } from '../batch/types.js';
import type { Capacity } from './capacity.js';
import { capacityOf, capacityProbe, gpuIndices, type ProbedMachine, parseProbe, probeOutput } from './capacity-probe.js';
import { type GpuState, parseGpus } from './gpu-probe.js';
import { processStartTicks } from '../store/process-identity.js';
import type { Executor, JobExit, JobLaunch } from './executor.js';
import { exited, failedExit, killedExit, leaseRefusedExit, lostExit } from './job-exit.js';
import { readyHere } from './job-files.js';
import { leaseBusyStatus, leaseScript } from './gpu-lease.js';
import { endLeftovers, terminateGroup, untilGroupEnds } from './process-group.js';
import { NotStartedError, ProcessStarter, type StartedProcess } from './process-starter.js';
import { childState, type EndStatus } from './process-status.js';
import { untilAborted } from '../abortable-wait.js';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Options of {@link LocalExecutor}.
 * @public
 */
export interface LocalExecutorOptions {
  /** Jobs at once. @defaultValue 1 */
  readonly slots?: number;
  /** Time between SIGTERM and SIGKILL when a job is killed. @defaultValue 5000 */
  readonly killGraceMs?: number;
  /** What to offer jobs instead of what is detected. */
  readonly capacity?: CapacityConfig;
  /** The folder of GPU lease files. @defaultValue `/run/lock/hyperctl`, else `/tmp/hyperctl-locks` */
  readonly gpuLockDir?: string;
  /**
   * How jobs are started. `auto`: through one small long-lived `python3` helper (3.8 or later)
   * that starts each with `posix_spawn`, about half the cost of Node's own spawn, which forks the
   * whole runner; `node`: with Node's spawn. `auto` falls back to `node` where no such Python is
   * on the PATH; jobs with live output or a GPU lease always start with Node's spawn.
   * @defaultValue 'auto'
   */
  readonly starter?: 'auto' | 'node';
  /** Told what the user should hear: the process starter stopped answering and was replaced. */
  readonly onWarning?: (message: string) => void;
}

/**
 * Runs jobs on this machine: `/bin/sh -c command`, each the leader of a session (and process
 * group) of its own, output straight into the job's `stdout` and `stderr` files. Jobs are started
 * by a small helper process where one can run (see {@link LocalExecutorOptions.starter}); call
 * `close()` when done with it (a run closes the executors it was given).
 * @public
 */
export class LocalExecutor implements Executor {
  /** Always `local`. */
  /** The name jobs on this machine are shown under. */
  static readonly host = 'local';
  /** Where its jobs run, as shown: {@link LocalExecutor.host}. */
  readonly host = LocalExecutor.host;
  /** Jobs at once. */
  readonly slots: number;
  readonly #killGraceMs: number;
  readonly #baseEnv: NodeJS.ProcessEnv;
  readonly #capacity: CapacityConfig | undefined;
  readonly #gpuLockDir: string | undefined;
  readonly #starterWanted: boolean;
  readonly #onWarning: ((message: string) => void) | undefined;
  // Aborted by close(): a starter still being opened is given up.
  #closing = new AbortController();
  #starter: Promise<ProcessStarter | undefined> | undefined;

  constructor(options: LocalExecutorOptions = {}) {
    this.slots = options.slots ?? 1;
    this.#killGraceMs = options.killGraceMs ?? 5000;
    this.#baseEnv = { ...process.env };
    this.#capacity = options.capacity;
    this.#gpuLockDir = options.gpuLockDir;
    this.#starterWanted = options.starter !== 'node';
    this.#onWarning = options.onWarning;
  }

  /** This machine's CPUs, memory and (from `nvidia-smi`) GPUs, with the configured overrides and GPU policy. */
  async capacity(): Promise<Capacity> {
    return capacityOf(await this.#probe(), this.#capacity);
  }

  /** This machine's GPUs: leases held on them by any run, processes of others. */
  async gpus(): Promise<readonly GpuState[]> {
    const probed = await this.#probe();
    return parseGpus(probed.text, gpuIndices(probed, this.#capacity));
  }

  async #probe(): Promise<ProbedMachine & { text: string }> {
    const text = await new Promise<string>((resolve, reject) =>
      execFile('/bin/sh', ['-c', capacityProbe(this.#gpuLockDir)], { timeout: 10_000 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        try {
          resolve(probeOutput({ text: String(stdout), code, signal: error?.signal ?? null, said: String(stderr) || (error?.message ?? '') }));
        } catch (failure) {
          reject(failure);
        }
      }),
    );
    return { ...parseProbe(text), cpu: availableParallelism(), ram: Math.floor(totalmem() / 2 ** 20), text };
  }

  /** Runs one job to its end; see {@link Executor.run}. */
  async run(launch: JobLaunch, signal: AbortSignal): Promise<JobExit> {
    const ready = await readyHere(launch);
    if ('exit' in ready) return ready.exit;
    const { job } = ready;
    if (this.#starterWanted && job.onOutput === undefined && job.gpuLease === undefined) {
      const opening = this.#openStarter();
      await untilAborted(opening, signal);
      // Stopped while a starter was being made: nothing starts after a stop.
      if (signal.aborted) return killedExit();
      const starter = await opening;
      if (starter) return this.#runStarted(starter, job, signal);
    }
    return this.#runSpawned(job, signal);
  }

  /** Ends the process starter, if one was opened; a later job opens another. */
  async close(): Promise<void> {
    const starter = this.#starter;
    this.#starter = undefined;
    this.#closing.abort();
    this.#closing = new AbortController();
    await (await starter)?.close();
  }

  async #openStarter(): Promise<ProcessStarter | undefined> {
    const open = () => ProcessStarter.open(this.#baseEnv, { signal: this.#closing.signal, ...(this.#onWarning ? { onStall: this.#onWarning } : {}) });
    this.#starter ??= open();
    const opening = this.#starter;
    const starter = await opening;
    // One that ended or stalled under the run is replaced; where none could run or answer, none is tried again.
    if (!starter?.gone) return starter;
    if (this.#starter === opening) this.#starter = open();
    return this.#starter;
  }

  async #runStarted(starter: ProcessStarter, job: JobLaunch, signal: AbortSignal): Promise<JobExit> {
    let started: StartedProcess;
    try {
      started = await starter.start({ command: job.command, cwd: job.workingDir, env: job.env, stdoutPath: job.stdoutPath, stderrPath: job.stderrPath });
    } catch (error) {
      const message = (error as Error).message;
      return error instanceof NotStartedError ? lostExit(`it did not start: ${message}`) : failedExit(`cannot start: ${message}`);
    }
    const { pid } = started;
    let killing: Promise<void> | undefined;
    let endedFirst: EndStatus | undefined;
    const abort = () => {
      // One that ended by itself and waits to be told of (a stalled starter) is no kill.
      const state = childState(pid);
      if (typeof state === 'object') endedFirst = state;
      else killing ??= terminateGroup(pid, this.#killGraceMs);
    };
    // Listening first: recording the start may itself end the run (a full disk), and the job with it.
    signal.addEventListener('abort', abort, { once: true });
    try {
      if (signal.aborted) abort();
      job.onSpawn?.({ pid, startTicks: started.startTicks });
      await untilAborted(started.end, signal);
      // A kill is over once the job's group is: a starter that does not tell its end then is not waited for.
      const end =
        endedFirst ?? (killing === undefined ? await started.end : await Promise.race([started.end, killing.then(() => sleep(500)).then(() => undefined)]));
      const status = end ?? childState(pid);
      if (typeof status !== 'object' || 'lost' in status) {
        // Nothing can say how it ended now; it is reported once it has, not while it may still write.
        await untilGroupEnds(pid, signal);
        await killing;
        return killing !== undefined ? killedExit() : lostExit(typeof status === 'object' ? status.lost : 'its exit status was lost');
      }
      await killing;
      if (killing !== undefined) return killedExit(status.code, status.signal);
      await this.#endLeftovers(job, pid);
      return exited(status.code, status.signal);
    } finally {
      signal.removeEventListener('abort', abort);
    }
  }

  /** Ends what a job that ended by itself left in its process group, and says so in its stderr. */
  async #endLeftovers(job: JobLaunch, pgid: number): Promise<void> {
    const left = await endLeftovers(pgid, this.#killGraceMs);
    if (left === 0) return;
    const note = `hyperctl: the job ended; ${left === 1 ? '1 process it left in its process group was' : `${left} processes it left in its process group were`} ended\n`;
    await appendFile(job.stderrPath, note).catch(() => undefined);
  }

  async #runSpawned(job: JobLaunch, signal: AbortSignal): Promise<JobExit> {
    const live = job.onOutput !== undefined;
    const out = openSync(job.stdoutPath, 'w');
    const err = openSync(job.stderrPath, 'w');
    let closed = false;
    const closeFiles = () => {
      if (closed) return;
      closed = true;
      closeSync(out);
      closeSync(err);
    };
    const lease = job.gpuLease;
    // With a GPU lease the command runs once the lease is taken, and fd 3 says when (then closes).
    // A watcher on stdin ends the job's whole group when this runner is gone (its end of the pipe
    // closes, whatever killed it), so a lease never outlives the run that took it.
    const script = lease ? `${runnerWatch}\n${leaseScript(lease, 'printf ok >&3; exec 3>&-', job.command)}` : job.command;
    const child = spawn('/bin/sh', ['-c', script], {
      cwd: job.workingDir,
      env: { ...this.#baseEnv, ...job.env },
      // A session of its own makes the job a process group leader, so a kill reaches every process it starts.
      detached: true,
      stdio: [lease ? 'pipe' : 'ignore', ...(live ? (['pipe', 'pipe'] as const) : [out, err]), ...(lease ? (['pipe'] as const) : [])],
    });
    let started = !lease;
    if (!live) closeFiles();
    else {
      const tee = (fd: number, stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
        writeSync(fd, chunk);
        job.onOutput!(stream, chunk);
      };
      child.stdout!.on('data', tee(out, 'stdout'));
      child.stderr!.on('data', tee(err, 'stderr'));
    }

    let killing: Promise<void> | undefined;
    const onAbort = () => {
      if (child.pid !== undefined) killing ??= terminateGroup(child.pid, this.#killGraceMs);
    };
    // Live output is whole once its pipes close, which a process the job left behind could hold open.
    const outputClosed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    try {
      const exit = await new Promise<JobExit>((resolve) => {
        child.once('error', (error) => resolve(failedExit(`cannot start: ${error.message}`)));
        // With a lease, 'close' comes after whatever fd 3 said: a quick job's exit cannot overtake its start.
        child.once(lease ? 'close' : 'exit', (code: number | null, sig: NodeJS.Signals | null) =>
          resolve(killing !== undefined ? killedExit(code, sig) : started ? exited(code, sig) : leaseRefusedExit(this.host, code, sig, leaseBusyStatus)),
        );
        if (child.pid !== undefined) {
          const pid = child.pid;
          // Listening first: recording the start may itself end the run (a full disk), and the job with it.
          signal.addEventListener('abort', onAbort, { once: true });
          const spawned = () => job.onSpawn?.({ pid, startTicks: processStartTicks(pid) });
          if (started) spawned();
          else
            child.stdio[3]!.once('data', () => {
              started = true;
              spawned();
            });
        }
      });
      await killing;
      // A GPU job's watcher (in its group) ends what it left when its pipe closes, below.
      if (!lease && killing === undefined && child.pid !== undefined) await this.#endLeftovers(job, child.pid);
      if (live) await outputClosed;
      return exit;
    } finally {
      // The watcher's pipe: ending it ends the watcher (and what the job left behind in its group).
      child.stdin?.end();
      signal.removeEventListener('abort', onAbort);
      closeFiles();
    }
  }
}

/**
 * Kills the job's process group once stdin (a pipe from the runner) ends; holds none of the job's
 * other pipes, so it never keeps the runner waiting for them. The job itself gets `/dev/null`. (A
 * background list's stdin is `/dev/null` unless redirected: the pipe goes to it as fd 5.)
 */
const runnerWatch = ['exec 5<&0', '( while read -r line; do :; done <&5; kill -s KILL 0 ) 3>&- >/dev/null 2>&1 &', 'exec 5<&- </dev/null'].join('\n');
