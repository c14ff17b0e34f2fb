import type { BatchSpec } from '../batch/spec.js';
import { HyperctlError } from '../errors.js';
import type { Executor } from '../executors/executor.js';
import { findLeftoverJobGroups } from '../executors/leftover-jobs.js';
import { LocalExecutor } from '../executors/local.js';
import { terminateGroup } from '../executors/process-group.js';
import { BatchStore } from '../store/batch-store.js';
import { isAlive } from '../store/process-identity.js';
import { demandOf, describeCapacity, describeDemand, fitsEmpty, unlimited } from './capacity.js';
import { ResourcePool } from './resource-pool.js';
import type { BatchEvent } from './events.js';
import { createExecutors } from './executors-for.js';
import { backendOf } from '../executors/backends/backend-of.js';
import { isLoopback } from '../executors/backends/loopback.js';
import type { RunBatchOptions } from './options.js';
import type { RunControl } from './run-control.js';
import type { ServingDaemon } from './run-view.js';
import { uploadFor } from '../upload/upload.js';

/** What a run has once it is set up: nothing is written before the store opens. */
export interface SetUp {
  readonly daemon: ServingDaemon | undefined;
  readonly executors: readonly Executor[];
  readonly pool: ResourcePool;
  readonly store: BatchStore;
  /** Once the run is over: closes the daemon, frees the batch, stops listening to the caller's signal. */
  release(): Promise<void>;
}

/**
 * Sets a run up: its executors (made from the config unless the caller gave its own), opened; the
 * jobs placed; the store opened — in that order, so a failure (or an abort) before the store opens
 * leaves nothing written. The caller's signal is listened to from the very start: a Ctrl-C while
 * machines are probed is not lost, and interrupts the run.
 */
export async function setUpRun(
  spec: BatchSpec,
  options: RunBatchOptions,
  control: RunControl,
  daemon: ServingDaemon | undefined,
  resourceMode: boolean,
  emit: (event: BatchEvent) => void,
): Promise<SetUp> {
  const outer = options.signal;
  if (outer?.aborted) {
    await daemon?.close();
    throw aborted(outer.reason);
  }
  const backend = backendOf(spec.backend);
  const upload = options.executors || !backend.upload ? undefined : uploadFor(spec.dataDir, backend.upload);
  const all =
    options.executors ??
    createExecutors(spec, options, upload, {
      onUploadProgress: (host, sent, total) => emit({ type: 'host:upload-progress', host, sent, total }),
      onWarning: (message) => emit({ type: 'warning', message: `local: ${message}` }),
      onHealth: (host, health, reason) => emit(health === 'up' ? { type: 'host:up', host } : { type: 'host:down', host, reason }),
    });
  const onOuterAbort = () => {
    // Jobs a cluster scheduler runs may go on without this runner: a later run follows them.
    if (options.onInterrupt === 'leave') for (const executor of all) executor.detach?.();
    control.stop({ kind: 'interrupted', reason: outer?.reason });
  };
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  const stopIfAborted = () => {
    if (control.kill.aborted) throw aborted(outer?.reason);
  };
  try {
    for (const message of backend.warnings(spec, daemon !== undefined)) emit({ type: 'warning', message });
    // The folder is read before any machine is asked: one too big fails the run with nothing sent or written.
    for (const message of (await upload?.snapshot())?.warnings ?? []) emit({ type: 'warning', message: `upload: ${message}` });
    const executors = await openExecutors(all, (host, reason) => emit({ type: 'host:down', host, reason }));
    if (daemon) for (const message of await reachDaemon(executors, daemon, spec)) emit({ type: 'warning', message });
    // Every machine has the upload now (it is sent when a machine opens): its archive can go.
    await upload?.close();
    for (const { host, upload: report } of executors) if (report) emit({ type: 'host:upload', host, ...report });
    stopIfAborted();
    const pool = await placeJobs(spec, executors, resourceMode, (message) => emit({ type: 'warning', message }));
    stopIfAborted();
    const store = BatchStore.open(spec, { ...(daemon ? { daemon: { portal: daemon.url, token: daemon.token } } : {}), force: options.force === true });
    // Said once the batch is this run's: a second run of a running batch ends on that, not on a port.
    if (daemon?.notice) emit({ type: 'warning', message: daemon.notice });
    const release = async () => {
      await daemon?.close();
      store.release();
      outer?.removeEventListener('abort', onOuterAbort);
    };
    return { daemon, executors, pool, store, release };
  } catch (error) {
    outer?.removeEventListener('abort', onOuterAbort);
    await Promise.allSettled(all.map((e) => e.close?.()));
    await upload?.close();
    await daemon?.close();
    throw error;
  }
}

/**
 * Gives each executor's jobs a way to the daemon (see {@link Executor.reachDaemon}), all at once:
 * what the user should hear of the machines whose jobs cannot reach it that way.
 */
async function reachDaemon(executors: readonly Executor[], daemon: ServingDaemon, spec: BatchSpec): Promise<string[]> {
  const { host, port } = daemon.address;
  // A daemon on every address is reached at this machine's loopback.
  const local = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const endpoint = { host: local, port, token: daemon.token, reachable: !isLoopback(spec.daemon.host) };
  const notes = await Promise.all(executors.map((executor) => executor.reachDaemon?.(endpoint)));
  return notes.filter((note) => note !== undefined);
}

/** The error of a run its caller aborted. */
export function aborted(reason: unknown): HyperctlError {
  return new HyperctlError('E_ABORTED', 'the batch run was aborted; running jobs were killed and recorded', { cause: reason });
}

/** Opens every executor at once; those that fail are reported through `onDown` and left out. */
export async function openExecutors(executors: readonly Executor[], onDown: (host: string, reason: string) => void): Promise<Executor[]> {
  const outcomes = await Promise.allSettled(executors.map((e) => e.open?.()));
  const usable: Executor[] = [];
  const reasons: string[] = [];
  outcomes.forEach((outcome, i) => {
    const executor = executors[i]!;
    if (outcome.status === 'fulfilled') {
      usable.push(executor);
      return;
    }
    const reason = (outcome.reason as Error).message;
    reasons.push(reason);
    onDown(executor.host, reason);
    void executor.close?.();
  });
  if (usable.length === 0) throw new HyperctlError('E_NO_MACHINE', `no machine can run jobs:\n  ${reasons.join('\n  ')}`, { issues: reasons });
  return usable;
}

/**
 * The pool that places jobs on the executors' machines: each one's capacity (asked only when jobs
 * declare resources), checked against every job: a job that never could fit is an error now, not
 * a hang later. What a machine's capacity notes (GPUs left out) goes to `onWarning` first.
 */
export async function placeJobs(
  spec: BatchSpec,
  executors: readonly Executor[],
  resourceMode: boolean,
  onWarning: (message: string) => void,
): Promise<ResourcePool> {
  const capacityOf = async (executor: Executor) => {
    if (!resourceMode || !executor.capacity) return unlimited;
    try {
      return await executor.capacity();
    } catch (error) {
      throw new HyperctlError('E_NO_MACHINE', `${executor.host}: cannot tell what it offers (CPUs, memory, GPUs): ${(error as Error).message}`, {
        cause: error,
      });
    }
  };
  const capacities = await Promise.all(executors.map(async (executor) => ({ executor, capacity: await capacityOf(executor) })));
  for (const { executor, capacity } of capacities) for (const note of capacity.notes ?? []) onWarning(`${executor.host}: ${note}`);
  if (resourceMode) {
    const largest = capacities.reduce((a, b) => (b.capacity.gpus.length > a.capacity.gpus.length || b.capacity.cpu > a.capacity.cpu ? b : a));
    // A search's trials all take its template's resources: one pseudo-job stands for them.
    const trials = spec.search?.template.resource ? [{ name: 'trials of the search', resource: spec.search.template.resource }] : [];
    const unfit = [...spec.jobs, ...trials].filter((job) => !capacities.some(({ capacity }) => fitsEmpty(demandOf(job.resource), capacity)));
    if (unfit.length > 0) {
      const issues = unfit
        .slice(0, 10)
        .map(
          (job) =>
            `job "${job.name}" needs ${describeDemand(demandOf(job.resource))}, more than any machine has (the largest, ${largest.executor.host}, has ${describeCapacity(largest.capacity)})`,
        );
      throw new HyperctlError('E_UNSCHEDULABLE', `${unfit.length} job(s) can never run: ${issues.join('; ')}${unfit.length > 10 ? '; …' : ''}`, { issues });
    }
  }
  return new ResourcePool(capacities);
}

/**
 * Jobs that were running when an earlier runner died may still run: ends them before they run
 * again — local ones by pid and start time, and every process group of this machine that runs a
 * job of the batch (recorded or not: a start the runner died before it recorded); remote ones
 * through their executor. Jobs a scheduler holds (a `handle`) are followed instead, not ended.
 */
export async function endOrphans(store: BatchStore, spec: BatchSpec, executors: readonly Executor[], killGraceMs: number): Promise<void> {
  const groups = new Set<number>();
  const waits: Promise<void>[] = [];
  for (const record of store.previous.values()) {
    if (record.e !== 'start' || record.handle !== undefined) continue;
    // The executor it ran on says where: a process of this machine, or one its machine ends.
    const executor = executors.find((e) => e.host === record.host);
    if (executor instanceof LocalExecutor) {
      if (record.pid !== undefined && isAlive({ pid: record.pid, startTicks: record.ticks ?? null })) groups.add(record.pid);
      continue;
    }
    if (executor?.endOrphan) waits.push(executor.endOrphan(spec.name, record.job).catch(() => undefined));
  }
  if (executors.some((e) => e instanceof LocalExecutor)) {
    const elsewhere = new Set(spec.jobs.map((job) => job.dataDir).filter((dir) => !dir.startsWith(`${spec.dataDir}/`)));
    for (const group of await findLeftoverJobGroups({ batchName: spec.name, batchDir: spec.dataDir, jobDataDirs: elsewhere })) groups.add(group);
  }
  for (const group of groups) waits.push(terminateGroup(group, killGraceMs));
  await Promise.all(waits);
}
