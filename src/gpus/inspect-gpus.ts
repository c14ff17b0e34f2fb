import { dirname, resolve } from 'node:path';
import { loadConfigFile } from '../batch/load-file.js';
import { HyperctlError } from '../errors.js';
import type { Executor } from '../executors/executor.js';
import type { GpuState } from '../executors/gpu-probe.js';
import { LocalExecutor } from '../executors/local.js';
import { createExecutors } from '../run/executors-for.js';
import { resolveGpuLockDir } from '../paths.js';
import { prepareBatch } from '../run/prepare.js';

/**
 * Options of {@link inspectGpus}.
 * @public
 */
export interface InspectGpusOptions {
  /** A batch config file: its machines are asked (all of them, or those `machines` names). @defaultValue this machine */
  readonly config?: string;
  /** Names of the config's machines to ask (as its `hostname`s write them). */
  readonly machines?: readonly string[];
  /** The folder of GPU lease files, as the runs use it. @defaultValue `HYPERCTL_LOCK_DIR`, else `/run/lock/hyperctl`, else `/tmp/hyperctl-locks` */
  readonly gpuLockDir?: string;
}

/**
 * One machine's GPUs, or why they could not be asked.
 * @public
 */
export interface MachineGpus {
  readonly host: string;
  readonly gpus: readonly GpuState[];
  /** Why the machine could not be asked (it stays in the list). */
  readonly error?: string;
}

/**
 * The GPUs of this machine, or of a config's machines: which runs hold leases on them (batch, job,
 * user, since) and which processes of others use them, as `hyperctl gpus` shows them.
 * @example
 * ```ts
 * for (const { host, gpus } of await inspectGpus({ config: 'sweep.yaml' }))
 *   for (const gpu of gpus) console.log(host, gpu.index, gpu.leases.map((l) => l.holder))
 * ```
 * @public
 */
export async function inspectGpus(options: InspectGpusOptions = {}): Promise<MachineGpus[]> {
  const gpuLockDir = resolveGpuLockDir(options.gpuLockDir);
  const lockDir = gpuLockDir !== undefined ? { gpuLockDir } : {};
  let executors: Executor[] = [new LocalExecutor(lockDir)];
  if (options.config !== undefined) {
    const path = resolve(options.config);
    const spec = prepareBatch(await loadConfigFile(path), { baseDir: dirname(path), defaultName: 'gpus', ...lockDir }, options.config);
    executors = createExecutors(spec, lockDir);
  }
  if (options.machines && options.machines.length > 0) {
    const unknown = options.machines.filter((name) => !executors.some((e) => e.host === name));
    if (unknown.length > 0)
      throw new HyperctlError(
        'E_USAGE',
        `no machine ${unknown.join(', ')} in ${options.config ?? 'the list'} (it has ${executors.map((e) => e.host).join(', ')})`,
      );
    executors = executors.filter((e) => options.machines!.includes(e.host));
  }
  return Promise.all(
    executors.map(async (executor) => {
      try {
        await executor.open?.();
        if (!executor.gpus) return { host: executor.host, gpus: [], error: 'its scheduler places GPUs itself' };
        return { host: executor.host, gpus: await executor.gpus() };
      } catch (error) {
        return { host: executor.host, gpus: [], error: (error as Error).message };
      } finally {
        await executor.close?.();
      }
    }),
  );
}
