import type { JobSpec, TrialTemplate } from './spec.js';
import type { JobParams } from './types.js';
import { canonicalJson, shortHash } from './names.js';
import { expandCommand, shellWord } from './placeholders.js';

/** What a job is made of once its paths are resolved: its spec but for the hash, the command still as written. */
export type JobFields = Omit<JobSpec, 'hash'>;

/**
 * A job's spec: its command with the placeholders filled in from its params, and the hash of what
 * decides its outcome (a success counts on resume only under the same hash). `unknown` names a
 * placeholder its params cannot fill; `refused` says why one stands where no value can be quoted.
 */
export function jobSpecOf(fields: JobFields, batch: string): { spec: JobSpec; unknown?: string; refused?: string } {
  const expanded = expandCommand(fields.command, { params: fields.params, job: fields.name, batch });
  const { name, params, command, workingDir, workingDirAsWritten, dataDir, outputs, assets, resource, timeoutMs, retries } = fields;
  // Named field by field: a spread of the rest gave every job's spec a hidden class of its own
  // (about 300 bytes a job, a 100,000-job batch's 30 MB).
  const spec: JobSpec = {
    name,
    params,
    command: 'command' in expanded ? expanded.command : command,
    workingDir,
    dataDir,
    // Assets count by their paths (their contents are the user's to keep): a job given other inputs runs again.
    hash: shortHash(
      canonicalJson(assets && assets.length > 0 ? { params, command, workingDir, resource, assets } : { params, command, workingDir, resource }),
      16,
    ),
    retries,
    ...(outputs && outputs.length > 0 ? { outputs } : {}),
    ...(assets && assets.length > 0 ? { assets } : {}),
    ...(resource ? { resource } : {}),
    ...(workingDirAsWritten !== undefined ? { workingDirAsWritten } : {}),
    ...(timeoutMs !== undefined && timeoutMs > 0 ? { timeoutMs } : {}),
  };
  if ('unknown' in expanded) return { spec, unknown: expanded.unknown };
  return 'refused' in expanded ? { spec, refused: expanded.refused } : { spec };
}

/** A search's job's data folder: its name's folder in the batch's. */
export function trialDataDir(batchDataDir: string, name: string): string {
  return `${batchDataDir}/${name}`;
}

/** The spec of one of a search trial's jobs, from the search's template and the params the trial was given. */
export function trialJobSpec(template: TrialTemplate, batch: { readonly name: string; readonly dataDir: string }, name: string, params: JobParams): JobSpec {
  const dataDir = trialDataDir(batch.dataDir, name);
  const { spec, unknown, refused } = jobSpecOf(
    {
      name,
      params,
      command: template.command,
      workingDir: template.workingDir ?? dataDir,
      ...(template.workingDirAsWritten !== undefined ? { workingDirAsWritten: template.workingDirAsWritten } : {}),
      dataDir,
      ...(template.outputs ? { outputs: template.outputs } : {}),
      ...(template.assets ? { assets: template.assets } : {}),
      ...(template.resource ? { resource: template.resource } : {}),
      ...(template.timeoutMs !== undefined ? { timeoutMs: template.timeoutMs } : {}),
      retries: template.retries,
    },
    batch.name,
  );
  // A placeholder only some of the space fills (a sub-space's param): this trial's job fails, saying why.
  if (unknown !== undefined) return { ...spec, command: `echo 'hyperctl: the command has {${unknown}}, which these params do not fill' >&2; exit 2` };
  // Where a value cannot be quoted is the command's, checked before the search starts: never run unquoted.
  if (refused !== undefined) return { ...spec, command: `echo ${shellWord(`hyperctl: ${refused}`)} >&2; exit 2` };
  return spec;
}
