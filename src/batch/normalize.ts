import { statSync } from 'node:fs';
import { join } from 'node:path';
import { resolveUserPath } from '../store/paths.js';
import { hyperctlVersion } from '../version.js';
import type { BatchInput } from './schema.js';
import type { BackendSpec, BatchSpec, JobSpec } from './spec.js';
import { canonicalJson, jobNameFromParams, shortHash, unsafeNameReason } from './names.js';
import { invalid } from './validate.js';

export interface NormalizeOptions {
  /** Relative `working_dir` / `data_dir` resolve against this (the config file's folder). */
  readonly baseDir: string;
  readonly batchesDataDir: string;
  /** Batch name when the config has none. @defaultValue derived from the jobs */
  readonly defaultName?: string;
  /** CLI or SDK override of the local backend's parallelism. */
  readonly parallelism?: number;
}

/** Fills in the seed's defaults and checks what the schema cannot: names, duplicates, directories. */
export function normalizeBatch(input: BatchInput, options: NormalizeOptions, where?: string): BatchSpec {
  const issues: string[] = [];
  const name = input.name ?? options.defaultName ?? `batch-${shortHash(canonicalJson(input.jobs.map((j) => [j.name, j.params, j.execution])), 8)}`;
  const nameProblem = unsafeNameReason(name);
  if (nameProblem) issues.push(`name: ${nameProblem}`);
  const dataDir = join(options.batchesDataDir, name);

  const seen = new Map<string, number>();
  const jobs: JobSpec[] = [];
  input.jobs.forEach((job, index) => {
    const jobName = job.name ?? jobNameFromParams(job.params);
    const problem = unsafeNameReason(jobName);
    if (problem) issues.push(`jobs[${index}].name: ${problem}`);
    const first = seen.get(jobName);
    if (first !== undefined) {
      issues.push(`jobs[${index}].name: duplicate job name "${jobName}" (also jobs[${first}])${job.name === undefined ? '; give the jobs names or distinct params' : ''}`);
    } else seen.set(jobName, index);

    const jobDataDir = job.execution.data_dir ? resolveUserPath(job.execution.data_dir, options.baseDir) : join(dataDir, jobName);
    let workingDir = jobDataDir;
    if (job.execution.working_dir) {
      workingDir = resolveUserPath(job.execution.working_dir, options.baseDir);
      // On remote machines the folder is theirs: it is made there when missing.
      const problemDir = input.backend?.type === 'remote' ? undefined : directoryProblem(workingDir);
      if (problemDir) issues.push(`jobs[${index}].execution.working_dir: ${problemDir}`);
    }
    const resource = job.resource;
    jobs.push({
      name: jobName,
      params: job.params,
      ...(resource ? { resource } : {}),
      command: job.execution.command,
      workingDir,
      ...(job.execution.working_dir ? { workingDirAsWritten: job.execution.working_dir } : {}),
      dataDir: jobDataDir,
      hash: shortHash(canonicalJson({ params: job.params, command: job.execution.command, workingDir, resource }), 16),
    });
  });
  if (issues.length > 0) throw invalid('E_CONFIG_INVALID', issues, where);

  return {
    name,
    version: input.version ?? hyperctlVersion,
    dataDir,
    backend: toBackendSpec(input.backend, options.parallelism),
    daemon: { host: input.daemon?.host ?? 'localhost', port: input.daemon?.port ?? 8060, exitOnFinish: input.daemon?.exit_on_finish ?? false },
    jobs,
  };
}

function toBackendSpec(backend: BatchInput['backend'], parallelism: number | undefined): BackendSpec {
  if (backend?.type === 'remote') {
    const { machines, host_key_checking, known_hosts_file, retries } = backend.conf;
    return {
      type: 'remote',
      machines,
      hostKeyChecking: host_key_checking ?? 'yes',
      knownHostsFile: resolveUserPath(known_hosts_file ?? '~/.ssh/known_hosts', process.cwd()),
      retries: retries ?? 1,
    };
  }
  return {
    type: 'local',
    parallelism: parallelism ?? backend?.conf?.parallelism ?? 1,
    environments: backend?.conf?.environments ?? {},
  };
}

function directoryProblem(path: string): string | undefined {
  try {
    return statSync(path).isDirectory() ? undefined : `${path} is not a directory`;
  } catch {
    return `directory ${path} does not exist`;
  }
}
