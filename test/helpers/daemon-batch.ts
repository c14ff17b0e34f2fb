import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDaemonClient, isHyperctlError, runBatch, type BatchResult, type DaemonClient, type JobConfig } from '../../src/index.js';
import { readBatch } from '../../src/store/read-batch.js';
import { afterEach } from 'vitest';
import { tempDir } from './tmp.js';

export interface DaemonBatch {
  readonly root: string;
  /** `http://127.0.0.1:PORT`, without the token. */
  readonly url: string;
  readonly token: string;
  readonly client: DaemonClient;
  /** Creating this file lets every job made by {@link gatedJob} finish. */
  readonly gate: string;
  /** Ends the run (it keeps serving after its last job until this is called). */
  readonly stop: () => void;
  readonly done: Promise<BatchResult>;
}

/** A job that prints a line, then waits for `gate` to exist. */
export function gatedJob(name: string, gate: string, params: Record<string, unknown> = {}): JobConfig {
  return {
    name,
    params: params as JobConfig['params'],
    execution: { command: `echo started ${name}; while [ ! -e '${gate}' ]; do sleep 0.02; done; echo done ${name}` },
  };
}

/** Runs a batch through runBatch with its daemon on a free port, and resolves once it serves. */
export async function startDaemonBatch(name: string, jobs: (gate: string) => JobConfig[], options: { parallelism?: number } = {}): Promise<DaemonBatch> {
  const root = tempDir();
  const gate = join(tempDir(), 'gate');
  const controller = new AbortController();
  let serving!: (url: string) => void;
  const started = new Promise<string>((resolve) => (serving = resolve));
  const done = runBatch(
    { name, jobs: jobs(gate) },
    {
      batchesDataDir: root,
      daemon: true,
      port: 0,
      signal: controller.signal,
      killGraceMs: 1000,
      ...options,
      onEvent: (event) => {
        if (event.type === 'batch:start' && event.portal) serving(event.portal);
      },
    },
  );
  done.catch(() => undefined);
  const url = await Promise.race([started, done.then(() => Promise.reject(new Error('the batch ended before it served')))]);
  const token = readFileSync(join(root, name, 'token'), 'utf8');
  return { root, url, token, client: createDaemonClient({ portal: url, token }), gate, stop: () => controller.abort(), done };
}

/**
 * Batches a test file starts with {@link startDaemonBatch}, each stopped (its gate opened) after
 * its test; and a wait for one of their jobs to run.
 */
export function useDaemonBatches(): {
  start: (...args: Parameters<typeof startDaemonBatch>) => Promise<DaemonBatch>;
  untilRunning: (batch: DaemonBatch, name: string) => Promise<void>;
} {
  const running: DaemonBatch[] = [];
  afterEach(async () => {
    for (const batch of running.splice(0)) {
      batch.stop();
      writeFileSync(batch.gate, '');
      await batch.done.catch(() => undefined);
    }
  });
  return {
    start: async (...args) => {
      const batch = await startDaemonBatch(...args);
      running.push(batch);
      return batch;
    },
    untilRunning: async (batch, name) => {
      for (let i = 0; i < 500; i++) {
        if ((await batch.client.job(name)).status === 'running') return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`job ${name} never ran`);
    },
  };
}

/**
 * Each job's status as the batch's folder says (its journal folded, in this process): what a test
 * polls while a run goes on, without starting a CLI for every look. Empty before the run made it.
 */
export function jobStatuses(batchesDataDir: string, name: string): Record<string, string> {
  try {
    return Object.fromEntries(readBatch(batchesDataDir, name).jobs.map((job) => [job.name, job.status]));
  } catch (error) {
    if (isHyperctlError(error) && error.code === 'E_BATCH_NOT_FOUND') return {};
    throw error;
  }
}
