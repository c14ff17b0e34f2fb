import { execFile, spawn } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import type { CapacityConfig } from '../batch/types.js';
import type { Capacity } from './capacity.js';
import { capacityOf, capacityProbe, gpuIndices, type ProbedMachine, parseProbe } from './capacity-probe.js';
import { type GpuState, parseGpus } from './gpu-probe.js';
import { processStartTicks } from '../store/process-identity.js';
import type { Executor, JobExit, JobLaunch } from './executor.js';
import { exited, failedExit, killedExit, leaseRefusedExit } from './job-exit.js';
import { leaseBusyStatus, leaseScript } from './gpu-lease.js';
import { terminateGroup } from './process-group.js';

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
}

/**
 * Runs jobs as child processes of this one: `/bin/sh -c command`, each in a process group of its
 * own, output straight into the job's `stdout` and `stderr` files.
 * @public
 */
export class LocalExecutor implements Executor {
  /** Always `local`. */
  readonly host = 'local';
  /** Jobs at once. */
  readonly slots: number;
  readonly #killGraceMs: number;
  readonly #baseEnv: NodeJS.ProcessEnv;
  readonly #capacity: CapacityConfig | undefined;
  readonly #gpuLockDir: string | undefined;

  constructor(options: LocalExecutorOptions = {}) {
    this.slots = options.slots ?? 1;
    this.#killGraceMs = options.killGraceMs ?? 5000;
    this.#baseEnv = { ...process.env };
    this.#capacity = options.capacity;
    this.#gpuLockDir = options.gpuLockDir;
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
    const text = await new Promise<string>((resolve) =>
      execFile('/bin/sh', ['-c', capacityProbe(this.#gpuLockDir)], { timeout: 10_000 }, (_error, stdout) => resolve(String(stdout))),
    );
    return { ...parseProbe(text), cpu: availableParallelism(), ram: Math.floor(totalmem() / 2 ** 20), text };
  }

  /** Runs one job to its end; see {@link Executor.run}. */
  async run(job: JobLaunch, signal: AbortSignal): Promise<JobExit> {
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
    try {
      const exit = await new Promise<JobExit>((resolve) => {
        child.once('error', (error) => resolve(failedExit(`cannot start: ${error.message}`)));
        // With a lease, 'close' comes after whatever fd 3 said: a quick job's exit cannot overtake its start.
        child.once(live || lease ? 'close' : 'exit', (code: number | null, sig: NodeJS.Signals | null) =>
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
