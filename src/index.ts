/**
 * hyperctl: run and manage batches of parameterised jobs on one machine, an SSH pool or a cluster.
 * @packageDocumentation
 */
export { defineBatch } from './batch/define.js';
export { defineSearch } from './batch/search-config.js';
export type { Distribution, SampledValue, SearchConfig, SearchParamsOf, SearchSettings, SpaceValue } from './batch/search-config.js';
export type { JobParamsOf } from './batch/define.js';
export { generateBatch, generateJobs } from './batch/generate.js';
export { generateBatchFile } from './batch/generate-file.js';
export type { ConfigDialect } from './batch/hypernets-read.js';
export { configFileNames } from './batch/load-file.js';
export type { JobTemplate, TemplateJobParams, TemplateParamLists } from './batch/generate.js';
export type {
  BackendConfig,
  BatchConfig,
  CapacityConfig,
  GpuPolicyConfig,
  DaemonConfig,
  ExecutionConfig,
  HaltConfig,
  JobConfig,
  JobDefaultsConfig,
  JobParams,
  JobStatus,
  JsonValue,
  LocalBackendConfig,
  RemoteBackendConfig,
  RemoteMachineConfig,
  ResourceConfig,
  SlurmBackendConfig,
  UploadConfig,
} from './batch/types.js';
export { createDaemonClient } from './daemon/client.js';
export type { BatchUpdate, DaemonClient, DaemonClientOptions, DaemonEvent } from './daemon/client.js';
export type { BatchInfo, JobInfo } from './wire/protocol.js';
export { HyperctlError, isHyperctlError } from './errors.js';
export type { HyperctlErrorCode } from './errors.js';
export type { DaemonEndpoint, Executor, ExecutorHealth, JobExit, JobLaunch, LegacyJobExit, TransferReport, UploadReport } from './executors/executor.js';
export { LocalExecutor } from './executors/local.js';
export type { LocalExecutorOptions } from './executors/local.js';
export { SlurmExecutor } from './executors/slurm/slurm-executor.js';
export type { SlurmExecutorOptions } from './executors/slurm/slurm-executor.js';
export { SshExecutor } from './executors/ssh/ssh-executor.js';
export type { SshExecutorOptions } from './executors/ssh/ssh-executor.js';
export { getJobDataDir, getJobName, getJobParams, reportMetrics } from './job.js';
export type { Metrics } from './metrics/metrics-line.js';
export type { BatchCounts, BatchEvent, BatchResult, MachineTransfers, SearchResult } from './run/events.js';
export type { JobResult } from './state/job-result.js';
export type { Capacity } from './executors/capacity.js';
export type { GpuLease } from './executors/gpu-lease.js';
export type { GpuLeaseHeld, GpuProcess, GpuState } from './executors/gpu-probe.js';
export { inspectGpus, type InspectGpusOptions, type MachineGpus } from './gpus/inspect-gpus.js';
export type { RunBatchOptions } from './run/options.js';
export { runBatch, runBatchFile } from './run-and-serve.js';
export { loadConfigFile } from './batch/load-file.js';
export { listBatches, openBatch } from './access/open-batch.js';
export { bestAcrossBatches, compareBatches, frontAcrossBatches } from './access/across-batches.js';
export type { FrontAcrossBatches } from './access/across-batches.js';
export type { Batch, BatchesOptions, BatchFront, BatchOverview, BestJob, JobDetails, ParamImportances } from './access/open-batch.js';
export type { ParamImportance } from './results/importance.js';
export type { FetchedFiles } from './executors/ssh/transfers.js';
export type { JobPage, JobQuery, LogChunk } from './access/batch-source.js';
export type { JobMetrics } from './metrics/metrics-tracker.js';
export { parseWhere } from './results/compare.js';
export { closestName } from './text/closest-names.js';
export type { CompareOptions, Comparison, Condition } from './results/compare.js';
export type { Goal, Objective } from './results/objective.js';
export type { BestTrial, FrontTrial, SearchProgress } from './wire/search-progress.js';
export { resolveBatchesDataDir } from './paths.js';
export { hyperctlVersion as version } from './version.js';
export { maxAddedJobs } from './run/added-jobs.js';
