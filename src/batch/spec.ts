import type { JobParams, RemoteMachineConfig, ResourceConfig } from './types.js';

/** A job with every default filled in: what the runner, the store and executors work with. */
export interface JobSpec {
  readonly name: string;
  readonly params: JobParams;
  readonly resource?: ResourceConfig;
  readonly command: string;
  readonly workingDir: string;
  /** `working_dir` as written, for machines with file systems of their own. */
  readonly workingDirAsWritten?: string;
  readonly dataDir: string;
  /** Hash of what decides the job's outcome; a success counts on resume only under the same hash. */
  readonly hash: string;
}

export type BackendSpec =
  | { readonly type: 'local'; readonly parallelism: number; readonly environments: Readonly<Record<string, string>> }
  | {
      readonly type: 'remote';
      readonly machines: readonly RemoteMachineConfig[];
      readonly hostKeyChecking: 'yes' | 'accept-new';
      readonly knownHostsFile: string;
      readonly retries: number;
    };

/** A batch with every default filled in. */
export interface BatchSpec {
  readonly name: string;
  readonly version: string;
  /** `{batches_data_dir}/{name}`: spec, journal and the default job folders. */
  readonly dataDir: string;
  readonly backend: BackendSpec;
  readonly daemon: { readonly host: string; readonly port: number; readonly exitOnFinish: boolean };
  readonly jobs: readonly JobSpec[];
}
