import { isIP } from 'node:net';
import * as v from 'valibot';
import { isPlainObject } from '../plain-object.js';
import { heavyFolders } from './upload-spec.js';

/** The longest a Node timer waits (2^31 - 1 ms), in whole seconds: a longer timeout would fire at once. */
const maxTimerSeconds = 2_147_483;
const nonEmpty = v.pipe(v.string(), v.minLength(1, 'must not be empty'));
const finite = v.pipe(v.number(), v.finite('expected a finite number'));
/** A whole number from `min` to `max`; anything else is refused saying so (`expected a whole number ≥ 1, got 1.5`). */
function whole(min: number, max: number = Number.MAX_SAFE_INTEGER) {
  const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
  const message = (issue: { input: unknown }) => `expected a whole number ${range}, got ${describeValue(issue.input)}`;
  return v.pipe(v.number(), v.integer(message), v.minValue(min, message), v.maxValue(max, message));
}
const count = whole(0);
/** A metric's name, as jobs report it: text for a column, a log line, a terminal. */
const metricName = v.pipe(
  nonEmpty,
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
  v.regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters'),
  v.maxLength(200, 'expected at most 200 characters'),
);

/** What valibot's object schemas miss: they take an array (`[]` passes as `{}`), so one is refused first. */
const plainObject = v.custom<Record<string, unknown>>(isPlainObject, (issue) => `expected an object, got ${describeValue(issue.input)}`);

function describeValue(input: unknown): string {
  if (Array.isArray(input)) return 'an array';
  if (input === null || input === undefined) return String(input);
  const shown = typeof input === 'string' ? JSON.stringify(input) : String(input);
  return `${shown.length > 60 ? `${shown.slice(0, 60)}…` : shown} (${typeof input})`;
}

/** A strict object that is not an array. */
function object<const TEntries extends v.ObjectEntries>(entries: TEntries) {
  return v.pipe(plainObject, v.strictObject(entries));
}

/** A map of names to values that is not an array. */
function record<const TValue extends v.GenericSchema>(key: v.GenericSchema<string, string>, value: TValue) {
  return v.pipe(plainObject, v.record(key, value));
}

const resource = object({
  cpu: v.optional(v.pipe(finite, v.minValue(0))),
  ram: v.optional(v.pipe(finite, v.minValue(0))),
  // Below 1 a share of one GPU; from 1 on, whole GPUs.
  gpu: v.optional(
    v.pipe(
      finite,
      v.minValue(0),
      v.check((n) => n < 1 || Number.isInteger(n), 'expected a whole number of GPUs, or a share of one below 1'),
    ),
  ),
});

/** What a machine offers, when detection should be overridden; `gpu` is a count or the GPU indices. */
const capacity = object({
  cpu: v.optional(v.pipe(finite, v.minValue(0))),
  ram: v.optional(v.pipe(finite, v.minValue(0))),
  gpu: v.optional(v.union([v.pipe(count), v.array(count)], 'expected a number of GPUs or a list of GPU indices')),
  gpu_policy: v.optional(
    v.union([v.picklist(['avoid', 'ignore']), object({ min_free_mb: v.pipe(finite, v.minValue(0)) })], 'expected "avoid", "ignore" or { "min_free_mb": N }'),
  ),
});

/** Jobs at once: more than this many processes is not a plan but a typo. */
const parallelism = whole(1, 100_000);
const retries = whole(0, 1000);

/** A host name (RFC 1123) or an IP address for the daemon to listen on. */
const listenHost = v.pipe(
  v.string(),
  v.check(
    (host) => isIP(host) !== 0 || /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/.test(host),
    'expected a host name or an IP address such as 127.0.0.1',
  ),
);

const seconds = v.pipe(finite, v.minValue(0, 'expected seconds, at least 0'));
/** A wait between attempts: at most a day, which is what a timer can wait at once, and more than a retry should. */
const backoff = v.pipe(seconds, v.maxValue(86_400, 'expected at most 86400 seconds (a day)'));
const retryOn = v.array(v.picklist(['lost', 'failed', 'timeout'], (issue) => `expected "lost", "failed" or "timeout", got ${issue.received}`));
const jobDefaults = object({
  timeout: v.optional(seconds),
  retries: v.optional(retries),
  retry_on: v.optional(retryOn),
  retry_backoff: v.optional(backoff),
});
/** Stop losing jobs early, from the metrics they report as they run. */
const earlyStopping = object({
  rule: v.picklist(['median', 'asha'], (issue) => `expected median or asha, got ${issue.received}`),
  metric: v.optional(metricName),
  goal: v.optional(v.picklist(['min', 'max'], (issue) => `expected min or max, got ${issue.received}`)),
  min_steps: v.optional(whole(0, 1_000_000_000)),
  reduction_factor: v.optional(
    v.pipe(
      finite,
      v.check((n) => n > 1, 'expected a number more than 1'),
    ),
  ),
  min_trials: v.optional(whole(1)),
});

const halt = object({
  fail: v.union(
    [whole(1), v.pipe(v.string(), v.regex(/^(100|[1-9]?\d(\.\d+)?)%$/, 'expected a percentage such as "10%"'))],
    'expected a number of failures or a percentage such as "10%"',
  ),
  when: v.optional(v.picklist(['soon', 'now'], (issue) => `expected "soon" or "now", got ${issue.received}`)),
});

/** A path inside a job's working folder: relative, never climbing out of it. */
const insidePath = v.pipe(
  nonEmpty,
  v.check((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'expected a path relative to the working directory, without ".."'),
);
const execution = object({
  command: nonEmpty,
  working_dir: v.optional(nonEmpty),
  data_dir: v.optional(nonEmpty),
  outputs: v.optional(v.array(insidePath)),
  assets: v.optional(v.array(nonEmpty)),
});

const envName = v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name (letters, digits, _)'));
const environments = record(envName, v.string());

/** A folder sent to the machines before jobs run. */
const upload = object({
  dir: nonEmpty,
  exclude: v.optional(v.array(nonEmpty)),
  include: v.optional(v.array(v.picklist(heavyFolders, (issue) => `expected one of ${heavyFolders.join(', ')}, got ${issue.received}`))),
  max_mb: v.optional(v.pipe(finite, v.minValue(0.001, 'expected a size in MB, more than 0'))),
  max_files: v.optional(whole(1)),
  keep_days: v.optional(whole(0, 100_000)),
});
const cleanup = v.picklist(['on_success', 'always', 'never'], (issue) => `expected "on_success", "always" or "never", got ${issue.received}`);

const localBackend = v.strictObject({
  type: v.literal('local'),
  conf: v.optional(
    object({
      parallelism: v.optional(parallelism),
      environments: v.optional(environments),
      capacity: v.optional(capacity),
      // Accepted so one batch file serves both backends; here the jobs run in the folder itself.
      upload: v.optional(upload),
      cleanup: v.optional(cleanup),
    }),
  ),
});

const remoteBackend = v.strictObject({
  type: v.literal('remote'),
  conf: object({
    machines: v.pipe(
      v.array(
        object({
          hostname: nonEmpty,
          username: v.optional(nonEmpty),
          password: v.optional(v.string()),
          ssh_rsa_file: v.optional(nonEmpty),
          passphrase: v.optional(v.string()),
          port: v.optional(whole(1, 65535)),
          slots: v.optional(parallelism),
          environments: v.optional(environments),
          data_dir: v.optional(nonEmpty),
          capacity: v.optional(capacity),
        }),
      ),
      v.minLength(1, 'expected at least one machine'),
    ),
    host_key_checking: v.optional(v.picklist(['yes', 'accept-new'], (issue) => `expected "yes" or "accept-new", got ${issue.received}`)),
    known_hosts_file: v.optional(nonEmpty),
    upload: v.optional(upload),
    cleanup: v.optional(cleanup),
  }),
});

const slurmBackend = v.strictObject({
  type: v.literal('slurm'),
  conf: v.optional(
    object({
      partition: v.optional(nonEmpty),
      account: v.optional(nonEmpty),
      qos: v.optional(nonEmpty),
      time: v.optional(nonEmpty),
      sbatch_args: v.optional(v.array(v.string())),
      max_array_size: v.optional(whole(1, 100_000_000)),
      parallelism: v.optional(parallelism),
      poll_interval: v.optional(v.pipe(finite, v.minValue(0.1), v.maxValue(3600))),
    }),
  ),
});

const backend = v.variant('type', [localBackend, remoteBackend, slurmBackend], (issue) => `expected "local", "remote" or "slurm", got ${issue.received}`);

const daemon = object({
  host: v.optional(listenHost),
  port: v.optional(whole(0, 65535)),
  exit_on_finish: v.optional(v.boolean()),
});

/** YAML reads `version: 2.5` as a number; the seed means the string. */
const version = v.pipe(v.union([v.string(), v.number()]), v.transform(String));

const params = record(v.string(), v.any());

export const jobSchema = object({
  name: v.optional(v.string()),
  params,
  resource: v.optional(resource),
  execution,
  timeout: v.optional(seconds),
  retries: v.optional(retries),
});

export const batchSchema = object({
  jobs: v.pipe(v.array(jobSchema), v.minLength(1, 'expected at least one job')),
  backend: v.optional(backend),
  name: v.optional(v.string()),
  daemon: v.optional(daemon),
  version: v.optional(version),
  job_defaults: v.optional(jobDefaults),
  halt: v.optional(halt),
  early_stopping: v.optional(earlyStopping),
  independent_tmp: v.optional(v.boolean()),
  pause_file: v.optional(nonEmpty),
});

/** What a template copies into every job and into its batch, besides its params. */
const templateFields = {
  execution,
  resource: v.optional(resource),
  timeout: v.optional(seconds),
  retries: v.optional(retries),
  job_defaults: v.optional(jobDefaults),
  halt: v.optional(halt),
  early_stopping: v.optional(earlyStopping),
  backend: v.optional(backend),
  name: v.optional(v.string()),
  daemon: v.optional(daemon),
  version: v.optional(version),
  independent_tmp: v.optional(v.boolean()),
  pause_file: v.optional(nonEmpty),
};

export const templateSchema = object({
  params: record(
    v.string(),
    v.pipe(
      v.array(v.any(), (issue) => `expected a list of values, got ${issue.received} (${typeof issue.input})`),
      v.minLength(1, 'expected at least one value'),
    ),
  ),
  ...templateFields,
});

export type BatchInput = v.InferOutput<typeof batchSchema>;
export type TemplateInput = v.InferOutput<typeof templateSchema>;

/** How a search chooses, what it optimises, and when it stops. */
export const searchSchema = object({
  algorithm: v.optional(
    v.picklist(['grid', 'random', 'sobol', 'tpe', 'command'], (issue) => `expected grid, random, sobol, tpe or command, got ${issue.received}`),
  ),
  /** For `algorithm: command`: the sampler to run, a shell command, in the config's folder. */
  command: v.optional(nonEmpty),
  /** For `algorithm: command`: seconds to wait for each answer. */
  ask_timeout: v.optional(
    v.pipe(
      finite,
      v.check((n) => n > 0 && n <= maxTimerSeconds, `expected seconds, more than 0 and at most ${maxTimerSeconds} (24 days)`),
    ),
  ),
  metric: v.optional(metricName),
  goal: v.optional(v.picklist(['min', 'max'], (issue) => `expected min or max, got ${issue.received}`)),
  /** Several objectives, each a metric and its goal: trials are judged by Pareto dominance. */
  metrics: v.optional(
    v.pipe(
      v.array(
        object({
          name: metricName,
          goal: v.picklist(['min', 'max'], (issue) => `expected min or max, got ${issue.received}`),
        }),
        'expected a list of {name, goal}, one per objective',
      ),
      v.minLength(2, 'expected 2 to 4 objectives (one is search.metric and search.goal)'),
      v.maxLength(4, 'expected 2 to 4 objectives'),
    ),
  ),
  max_trials: v.optional(whole(1)),
  max_duration: v.optional(
    v.pipe(
      finite,
      v.minValue(0, 'expected seconds, more than 0'),
      v.check((n) => n > 0, 'expected seconds, more than 0'),
    ),
  ),
  target: v.optional(finite),
  seed: v.optional(whole(0, 2 ** 32 - 1)),
  startup_trials: v.optional(whole(0, 100_000)),
  multivariate: v.optional(v.boolean()),
  /** An NNI search-space file, relative to the config's folder. */
  space_file: v.optional(nonEmpty),
  /** Trials to run first, each with exactly these params (checked against the space once it is read). */
  initial: v.optional(v.array(record(v.string(), v.any()), 'expected a list of params, one object per trial')),
});

/** A job template whose params may be distributions, and its `search` section. */
export const searchTemplateSchema = object({
  params: v.optional(record(v.string(), v.any())),
  search: searchSchema,
  ...templateFields,
});

export type SearchTemplateInput = v.InferOutput<typeof searchTemplateSchema>;
