import { templateSchema, type TemplateInput } from './schema.js';
import { canonicalJson, jobNameFromParams } from './names.js';
import type {
  BackendConfig,
  DaemonConfig,
  EarlyStoppingConfig,
  ExecutionConfig,
  HaltConfig,
  JobConfig,
  JobDefaultsConfig,
  JsonValue,
  ResourceConfig,
} from './types.js';
import { invalid, parseWith } from './validate.js';

/**
 * A job template, the input of `hyperctl generate`: each param lists its values, and the batch
 * holds one job per combination.
 * @public
 */
export interface JobTemplate<P extends TemplateParamLists = TemplateParamLists> {
  /** Param name → the values it takes. */
  readonly params: P;
  /** Copied into every job. */
  readonly execution: ExecutionConfig;
  /** Copied into every job. */
  readonly resource?: ResourceConfig;
  /** Copied into every job. */
  readonly timeout?: number;
  /** Copied into every job. */
  readonly retries?: number;
  /** Copied to the batch. */
  readonly job_defaults?: JobDefaultsConfig;
  /** Copied to the batch. */
  readonly halt?: HaltConfig;
  /** Copied to the batch. */
  readonly early_stopping?: EarlyStoppingConfig;
  /** Copied to the batch. */
  readonly backend?: BackendConfig;
  /** Copied to the batch. */
  readonly name?: string;
  /** Copied to the batch. */
  readonly daemon?: DaemonConfig;
  /** Copied to the batch. */
  readonly version?: string;
  /** Copied to the batch. */
  readonly independent_tmp?: boolean;
  /** Copied to the batch. */
  readonly pause_file?: string;
}

/** Param name → list of values, as a template writes them. @public */
export type TemplateParamLists = { readonly [name: string]: readonly JsonValue[] };

/** The params of one generated job: one value of each list. @public */
export type TemplateJobParams<P extends TemplateParamLists> = { -readonly [K in keyof P]: P[K][number] };

/**
 * Expands a template to its jobs, lazily: the Cartesian product of the param lists, keys in the
 * order written, the last key varying fastest. Names derive from the params, so generating the
 * same template again gives the same names and a re-run resumes.
 * @example
 * ```ts
 * for (const job of generateJobs({ params: { lr: [0.1, 0.2], depth: [3, 5] }, execution: { command: 'python3 train.py' } })) …
 * ```
 * @public
 */
export function* generateJobs<const P extends TemplateParamLists>(template: JobTemplate<P>): Generator<JobConfig<TemplateJobParams<P>>, void, undefined> {
  const valid = parseTemplate(template);
  const keys = Object.keys(valid.params);
  const lists = keys.map((k) => valid.params[k]!);
  const at = keys.map(() => 0);
  for (;;) {
    const params: Record<string, unknown> = {};
    keys.forEach((key, i) => {
      params[key] = lists[i]![at[i]!];
    });
    yield {
      name: jobNameFromParams(params),
      params: params as TemplateJobParams<P>,
      ...(valid.resource ? { resource: valid.resource } : {}),
      execution: valid.execution,
      ...(valid.timeout !== undefined ? { timeout: valid.timeout } : {}),
      ...(valid.retries !== undefined ? { retries: valid.retries } : {}),
    };
    let i = keys.length - 1;
    while (i >= 0 && ++at[i]! === lists[i]!.length) at[i--] = 0;
    if (i < 0) return;
  }
}

/**
 * A whole batch config from a template: its jobs plus the template's `name`, `version`, `backend`,
 * `daemon`, `job_defaults` and `halt`; what `hyperctl generate` writes.
 * @public
 */
export function generateBatch<const P extends TemplateParamLists>(
  template: JobTemplate<P>,
): {
  name?: string;
  version?: string;
  jobs: JobConfig<TemplateJobParams<P>>[];
  backend?: BackendConfig;
  daemon?: DaemonConfig;
  job_defaults?: JobDefaultsConfig;
  halt?: HaltConfig;
  early_stopping?: EarlyStoppingConfig;
  independent_tmp?: boolean;
  pause_file?: string;
} {
  const { name, version, ...rest } = batchFieldsOf(parseTemplate(template));
  return { ...(name !== undefined ? { name } : {}), ...(version !== undefined ? { version } : {}), jobs: [...generateJobs(template)], ...rest };
}

/** What a template gives its batch besides the jobs: `name`, `version`, `backend`, `daemon`, `job_defaults`, `halt`. */
export function batchFieldsOf(valid: TemplateInput): Omit<ReturnType<typeof generateBatch>, 'jobs'> {
  return {
    ...(valid.name !== undefined ? { name: valid.name } : {}),
    ...(valid.version !== undefined ? { version: valid.version } : {}),
    ...(valid.backend ? { backend: valid.backend as BackendConfig } : {}),
    ...(valid.daemon ? { daemon: valid.daemon } : {}),
    ...(valid.job_defaults ? { job_defaults: valid.job_defaults } : {}),
    ...(valid.halt ? { halt: valid.halt } : {}),
    ...(valid.early_stopping ? { early_stopping: valid.early_stopping } : {}),
    ...(valid.independent_tmp !== undefined ? { independent_tmp: valid.independent_tmp } : {}),
    ...(valid.pause_file !== undefined ? { pause_file: valid.pause_file } : {}),
  };
}

/** Validates a template from a file or code; `where` names the file in messages. */
export function parseTemplate(template: unknown, where?: string): TemplateInput {
  const valid = parseWith(templateSchema, template, 'E_TEMPLATE_INVALID', where);
  const issues: string[] = [];
  for (const [key, values] of Object.entries(valid.params)) {
    const seen = new Set<string>();
    for (const value of values) {
      const text = canonicalJson(value);
      if (seen.has(text)) issues.push(`params.${key}: duplicate value ${text}`);
      seen.add(text);
    }
  }
  if (issues.length > 0) throw invalid('E_TEMPLATE_INVALID', issues, where);
  return valid;
}
