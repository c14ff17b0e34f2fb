import type { JobSpec, TrialTemplate } from './spec.js';
import type { JobParams, ResourceConfig } from './types.js';
import { canonicalJson, shortHash } from './names.js';
import { expandCommand } from './placeholders.js';

/** What a job is made of once its paths are resolved: the command still as written. */
export interface JobFields {
  readonly name: string;
  readonly params: JobParams;
  readonly command: string;
  readonly workingDir: string;
  readonly workingDirAsWritten?: string;
  readonly dataDir: string;
  readonly outputs?: readonly string[];
  readonly resource?: ResourceConfig;
  readonly timeoutMs?: number;
  readonly retries: number;
}

/**
 * A job's spec: its command with the placeholders filled in from its params, and the hash of what
 * decides its outcome (a success counts on resume only under the same hash). `unknown` names a
 * placeholder its params cannot fill.
 */
export function jobSpecOf(fields: JobFields, batch: string): { spec: JobSpec; unknown?: string } {
  const expanded = expandCommand(fields.command, { params: fields.params, job: fields.name, batch });
  const { command, resource, timeoutMs, workingDirAsWritten, outputs, ...rest } = fields;
  return {
    spec: {
      ...rest,
      ...(outputs && outputs.length > 0 ? { outputs } : {}),
      ...(resource ? { resource } : {}),
      command: 'command' in expanded ? expanded.command : command,
      ...(workingDirAsWritten !== undefined ? { workingDirAsWritten } : {}),
      hash: shortHash(canonicalJson({ params: fields.params, command, workingDir: fields.workingDir, resource }), 16),
      ...(timeoutMs !== undefined && timeoutMs > 0 ? { timeoutMs } : {}),
    },
    ...('unknown' in expanded ? { unknown: expanded.unknown } : {}),
  };
}

/** The spec of one of a search trial's jobs, from the search's template and the params the trial was given. */
export function trialJobSpec(template: TrialTemplate, batch: { readonly name: string; readonly dataDir: string }, name: string, params: JobParams): JobSpec {
  const dataDir = `${batch.dataDir}/${name}`;
  const { spec, unknown } = jobSpecOf(
    {
      name,
      params,
      command: template.command,
      workingDir: template.workingDir ?? dataDir,
      ...(template.workingDirAsWritten !== undefined ? { workingDirAsWritten: template.workingDirAsWritten } : {}),
      dataDir,
      ...(template.outputs ? { outputs: template.outputs } : {}),
      ...(template.resource ? { resource: template.resource } : {}),
      ...(template.timeoutMs !== undefined ? { timeoutMs: template.timeoutMs } : {}),
      retries: template.retries,
    },
    batch.name,
  );
  // A placeholder only some of the space fills (a sub-space's param): this trial's job fails, saying why.
  if (unknown === undefined) return spec;
  return { ...spec, command: `echo 'hyperctl: the command has {${unknown}}, which these params do not fill' >&2; exit 2` };
}
