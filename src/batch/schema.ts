import * as v from 'valibot';

const nonEmpty = v.pipe(v.string(), v.minLength(1, 'must not be empty'));
const count = v.pipe(v.number(), v.integer(), v.minValue(0));

const resource = v.strictObject({
  cpu: v.optional(v.pipe(v.number(), v.minValue(0))),
  ram: v.optional(v.pipe(v.number(), v.minValue(0))),
  // Below 1 a share of one GPU; from 1 on, whole GPUs.
  gpu: v.optional(v.pipe(v.number(), v.minValue(0), v.check((n) => n < 1 || Number.isInteger(n), 'expected a whole number of GPUs, or a share of one below 1'))),
});

/** What a machine offers, when detection should be overridden; `gpu` is a count or the GPU indices. */
const capacity = v.strictObject({
  cpu: v.optional(v.pipe(v.number(), v.minValue(0))),
  ram: v.optional(v.pipe(v.number(), v.minValue(0))),
  gpu: v.optional(v.union([v.pipe(count), v.array(count)], 'expected a number of GPUs or a list of GPU indices')),
});

const seconds = v.pipe(v.number(), v.minValue(0, 'expected seconds, at least 0'));
const retryOn = v.array(v.picklist(['lost', 'failed', 'timeout'], (issue) => `expected "lost", "failed" or "timeout", got ${issue.received}`));
const jobDefaults = v.strictObject({
  timeout: v.optional(seconds),
  retries: v.optional(count),
  retry_on: v.optional(retryOn),
  retry_backoff: v.optional(seconds),
});
const halt = v.strictObject({
  fail: v.union([v.pipe(count, v.minValue(1)), v.pipe(v.string(), v.regex(/^(100|[1-9]?\d(\.\d+)?)%$/, 'expected a percentage such as "10%"'))], 'expected a number of failures or a percentage such as "10%"'),
  when: v.optional(v.picklist(['soon', 'now'], (issue) => `expected "soon" or "now", got ${issue.received}`)),
});

const execution = v.strictObject({
  command: nonEmpty,
  working_dir: v.optional(nonEmpty),
  data_dir: v.optional(nonEmpty),
});

const envName = v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name (letters, digits, _)'));
const environments = v.record(envName, v.string());

const localBackend = v.strictObject({
  type: v.literal('local'),
  conf: v.optional(
    v.strictObject({
      parallelism: v.optional(v.pipe(count, v.minValue(1))),
      environments: v.optional(environments),
      capacity: v.optional(capacity),
    }),
  ),
});

const remoteBackend = v.strictObject({
  type: v.literal('remote'),
  conf: v.strictObject({
    machines: v.pipe(
      v.array(
        v.strictObject({
          hostname: nonEmpty,
          username: v.optional(nonEmpty),
          password: v.optional(v.string()),
          ssh_rsa_file: v.optional(nonEmpty),
          passphrase: v.optional(v.string()),
          port: v.optional(v.pipe(count, v.minValue(1), v.maxValue(65535))),
          slots: v.optional(v.pipe(count, v.minValue(1))),
          environments: v.optional(environments),
          data_dir: v.optional(nonEmpty),
          capacity: v.optional(capacity),
        }),
      ),
      v.minLength(1, 'expected at least one machine'),
    ),
    host_key_checking: v.optional(v.picklist(['yes', 'accept-new'], (issue) => `expected "yes" or "accept-new", got ${issue.received}`)),
    known_hosts_file: v.optional(nonEmpty),
  }),
});

const slurmBackend = v.strictObject({
  type: v.literal('slurm'),
  conf: v.optional(
    v.strictObject({
      partition: v.optional(nonEmpty),
      account: v.optional(nonEmpty),
      qos: v.optional(nonEmpty),
      time: v.optional(nonEmpty),
      sbatch_args: v.optional(v.array(v.string())),
      max_array_size: v.optional(v.pipe(count, v.minValue(1))),
      parallelism: v.optional(v.pipe(count, v.minValue(1))),
      poll_interval: v.optional(v.pipe(v.number(), v.minValue(0.1))),
    }),
  ),
});

const backend = v.variant('type', [localBackend, remoteBackend, slurmBackend], (issue) => `expected "local", "remote" or "slurm", got ${issue.received}`);

const daemon = v.strictObject({
  host: v.optional(nonEmpty),
  port: v.optional(v.pipe(count, v.maxValue(65535))),
  exit_on_finish: v.optional(v.boolean()),
});

/** YAML reads `version: 2.5` as a number; the seed means the string. */
const version = v.pipe(v.union([v.string(), v.number()]), v.transform(String));

const params = v.record(v.string(), v.any());

export const jobSchema = v.strictObject({
  name: v.optional(v.string()),
  params,
  resource: v.optional(resource),
  execution,
  timeout: v.optional(seconds),
  retries: v.optional(count),
});

export const batchSchema = v.strictObject({
  jobs: v.array(jobSchema),
  backend: v.optional(backend),
  name: v.optional(v.string()),
  daemon: v.optional(daemon),
  version: v.optional(version),
  job_defaults: v.optional(jobDefaults),
  halt: v.optional(halt),
});

export const templateSchema = v.strictObject({
  params: v.record(v.string(), v.array(v.any(), (issue) => `expected a list of values, got ${issue.received} (${typeof issue.input})`)),
  execution,
  resource: v.optional(resource),
  timeout: v.optional(seconds),
  retries: v.optional(count),
  job_defaults: v.optional(jobDefaults),
  halt: v.optional(halt),
  backend: v.optional(backend),
  name: v.optional(v.string()),
  daemon: v.optional(daemon),
  version: v.optional(version),
});

export type BatchInput = v.InferOutput<typeof batchSchema>;
export type TemplateInput = v.InferOutput<typeof templateSchema>;
