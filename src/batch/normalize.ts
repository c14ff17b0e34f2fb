import { statSync } from 'node:fs';
import { join } from 'node:path';
import { reservedNameReason } from './batch-folder.js';
import { resolveUserPath } from '../paths.js';
import { hyperctlVersion } from '../version.js';
import type { BatchInput } from './schema.js';
import type { BackendSpec, BatchSpec, JobSpec } from './spec.js';
import { canonicalJson, jobNameFromParams, shortHash, unsafeNameReason } from './names.js';
import { jobSpecOf } from './job-spec.js';
import { placeholderNames } from './placeholders.js';
import { resolveAssets } from './assets.js';
import { invalid } from './validate.js';
import type { UploadConfig } from './types.js';
import { defaultKeepDays, defaultUploadLimits, type UploadSpec } from './upload-spec.js';

export interface NormalizeOptions {
  /** Relative `working_dir` / `data_dir` resolve against this (the config file's folder). */
  readonly baseDir: string;
  readonly batchesDataDir: string;
  /** Batch name when the config has none. @defaultValue derived from the jobs */
  readonly defaultName?: string;
  /** CLI or SDK override of the local backend's parallelism. */
  readonly parallelism?: number;
  /** Working folders are on other machines (jobs added to a remote batch): not checked here. */
  readonly workingDirsElsewhere?: boolean;
}

/** Fills in the seed's defaults and checks what the schema cannot: names, duplicates, directories. */
export function normalizeBatch(input: BatchInput, options: NormalizeOptions, where?: string): BatchSpec {
  const issues: string[] = [];
  const name = input.name ?? options.defaultName ?? `batch-${shortHash(canonicalJson(input.jobs.map((j) => [j.name, j.params, j.execution])), 8)}`;
  const nameProblem = unsafeNameReason(name);
  if (nameProblem) issues.push(`name: ${nameProblem}`);
  const dataDir = join(options.batchesDataDir, name);

  const seen = new Map<string, number>();
  const checkedAssets = new Map<string, string | undefined>();
  const jobs: JobSpec[] = [];
  input.jobs.forEach((job, index) => {
    const jobName = job.name ?? jobNameFromParams(job.params);
    // A job's folder sits beside the batch's own files, unless the job has a data_dir of its own.
    const problem = unsafeNameReason(jobName) ?? (job.execution.data_dir ? undefined : reservedNameReason(jobName));
    if (problem) issues.push(`jobs[${index}].name: ${problem}`);
    const first = seen.get(jobName);
    if (first !== undefined) {
      issues.push(
        `jobs[${index}].name: duplicate job name "${jobName}" (also jobs[${first}])${job.name === undefined ? '; give the jobs names or distinct params' : ''}`,
      );
    } else seen.set(jobName, index);

    const jobDataDir = job.execution.data_dir ? resolveUserPath(job.execution.data_dir, options.baseDir) : join(dataDir, jobName);
    let workingDir = jobDataDir;
    if (job.execution.working_dir) {
      workingDir = resolveUserPath(job.execution.working_dir, options.baseDir);
      // On remote machines the folder is theirs: it is made there when missing.
      const problemDir = input.backend?.type === 'remote' || options.workingDirsElsewhere ? undefined : directoryProblem(workingDir);
      if (problemDir) issues.push(`jobs[${index}].execution.working_dir: ${problemDir}`);
    }
    const timeout = job.timeout ?? input.job_defaults?.timeout;
    const { spec, unknown, refused } = jobSpecOf(
      {
        name: jobName,
        params: job.params,
        command: job.execution.command,
        workingDir,
        ...(job.execution.working_dir ? { workingDirAsWritten: job.execution.working_dir } : {}),
        dataDir: jobDataDir,
        ...(job.execution.outputs ? { outputs: job.execution.outputs } : {}),
        ...(job.execution.assets
          ? { assets: resolveAssets(job.execution.assets, options.baseDir, `jobs[${index}].execution.assets`, issues, checkedAssets) }
          : {}),
        ...(job.resource ? { resource: job.resource } : {}),
        ...(timeout !== undefined ? { timeoutMs: timeout * 1000 } : {}),
        retries: job.retries ?? input.job_defaults?.retries ?? 1,
      },
      name,
    );
    if (unknown !== undefined) {
      issues.push(
        `jobs[${index}].execution.command: unknown placeholder {${unknown}} in job "${jobName}" (it has ${placeholderNames(job.params)}; {{ and }} are literal braces)`,
      );
    }
    if (refused !== undefined) issues.push(`jobs[${index}].execution.command: ${refused}`);
    jobs.push(spec);
  });
  const es = input.early_stopping;
  if (es && es.metric === undefined) issues.push('early_stopping.metric: required: the metric jobs are judged on');
  const earlyStopping =
    es && es.metric !== undefined
      ? {
          rule: es.rule,
          metric: es.metric,
          goal: es.goal ?? 'min',
          minSteps: es.min_steps ?? 1,
          reductionFactor: es.reduction_factor ?? 3,
          minTrials: es.min_trials ?? 3,
        }
      : undefined;
  const upload = input.backend?.type === 'remote' ? input.backend.conf.upload : undefined;
  const uploadProblem = upload && directoryProblem(resolveUserPath(upload.dir, options.baseDir));
  if (uploadProblem) issues.push(`backend.conf.upload.dir: ${uploadProblem}`);
  if (issues.length > 0) throw invalid('E_CONFIG_INVALID', issues, where);

  return {
    name,
    version: input.version ?? hyperctlVersion,
    dataDir,
    backend: toBackendSpec(input, options),
    daemon: {
      host: input.daemon?.host ?? 'localhost',
      ...(input.daemon?.port !== undefined ? { port: input.daemon.port } : {}),
      exitOnFinish: input.daemon?.exit_on_finish ?? false,
    },
    jobs,
    retryOn: input.job_defaults?.retry_on ?? ['lost'],
    retryBackoffMs: (input.job_defaults?.retry_backoff ?? 1) * 1000,
    ...(input.halt ? { halt: { failures: haltFailures(input.halt.fail, jobs.length), when: input.halt.when ?? 'soon' } } : {}),
    ...(earlyStopping ? { earlyStopping } : {}),
    ...(input.independent_tmp ? { privateTmp: true } : {}),
    ...(input.pause_file !== undefined ? { pauseFile: resolveUserPath(input.pause_file, options.baseDir) } : {}),
  };
}

function toBackendSpec(input: Pick<BatchInput, 'backend' | 'jobs'>, options: Pick<NormalizeOptions, 'parallelism' | 'baseDir'>): BackendSpec {
  const { backend } = input;
  const { parallelism } = options;
  if (backend?.type === 'slurm') return { type: 'slurm', conf: { ...backend.conf, ...(parallelism !== undefined ? { parallelism } : {}) } };
  if (backend?.type === 'remote') {
    const { machines, host_key_checking, known_hosts_file, upload, cleanup } = backend.conf;
    return {
      type: 'remote',
      machines,
      hostKeyChecking: host_key_checking ?? 'yes',
      knownHostsFile: resolveUserPath(known_hosts_file ?? '~/.ssh/known_hosts', process.cwd()),
      ...(upload ? { upload: uploadSpecOf(upload, options.baseDir) } : {}),
      cleanup: cleanup ?? 'never',
    };
  }
  const chosen = parallelism ?? backend?.conf?.parallelism;
  const capacity = backend?.conf?.capacity;
  const remoteOnlyKeys = [
    ...(backend?.conf?.upload ? ['backend.conf.upload'] : []),
    ...(backend?.conf?.cleanup ? ['backend.conf.cleanup'] : []),
    ...(input.jobs.some((job) => job.execution.outputs) ? ['execution.outputs'] : []),
  ];
  return {
    type: 'local',
    ...(chosen !== undefined ? { parallelism: chosen } : {}),
    environments: backend?.conf?.environments ?? {},
    ...(capacity ? { capacity } : {}),
    ...(remoteOnlyKeys.length > 0 ? { remoteOnlyKeys } : {}),
  };
}

/** The upload as the run uses it: its folder resolved against the config's, the limits' defaults filled in. */
function uploadSpecOf(upload: UploadConfig, baseDir: string): UploadSpec {
  return {
    dir: resolveUserPath(upload.dir, baseDir),
    exclude: upload.exclude ?? [],
    include: upload.include ?? [],
    maxBytes: upload.max_mb !== undefined ? Math.round(upload.max_mb * 1024 * 1024) : defaultUploadLimits.maxBytes,
    maxFiles: upload.max_files ?? defaultUploadLimits.maxFiles,
    keepDays: upload.keep_days ?? defaultKeepDays,
  };
}

/** `3` failures, or `"10%"` of the batch's jobs (at least one). */
export function haltFailures(fail: number | string, jobs: number): number {
  return typeof fail === 'number' ? fail : Math.max(1, Math.ceil((Number.parseFloat(fail) / 100) * jobs));
}

export function directoryProblem(path: string): string | undefined {
  try {
    return statSync(path).isDirectory() ? undefined : `${path} is not a directory`;
  } catch {
    return `directory ${path} does not exist`;
  }
}
