import type { JobTemplate } from './generate.js';
import type { BackendConfig, DaemonConfig, ExecutionConfig, HaltConfig, JobDefaultsConfig, JsonValue, ResourceConfig } from './types.js';

/**
 * A distribution a search samples a param from. Integer bounds are inclusive; `log` samples on a
 * log scale; `step` keeps values on a grid (from the low bound on a linear scale, multiples of the
 * step otherwise). `normal` and `lognormal` take `[mu, sigma]` (of the log, for `lognormal`). A `choice` may offer objects that
 * hold distributions themselves: sub-spaces, sampled only when chosen.
 * @public
 */
export type Distribution =
  | { readonly uniform: readonly [number, number]; readonly step?: number }
  /** NNI's quniform: a uniform draw rounded to a multiple of `q`, then clipped to the bounds. */
  | { readonly uniform: readonly [number, number]; readonly q: number }
  | { readonly loguniform: readonly [number, number]; readonly step?: number }
  | { readonly normal: readonly [number, number]; readonly step?: number }
  | { readonly lognormal: readonly [number, number]; readonly step?: number }
  | { readonly int: readonly [number, number]; readonly log?: boolean; readonly step?: number }
  | { readonly choice: readonly SpaceValue[] };

/** A param of a search: a distribution, a list (a grid axis, crossed with every sample), a constant, or an object of these. @public */
export type SpaceValue = Distribution | JsonValue | { readonly [key: string]: SpaceValue };

/** How a search chooses, what it optimises, and when it stops. @public */
export interface SearchSettings {
  /** @defaultValue `tpe` with a metric, else `random` */
  readonly algorithm?: 'grid' | 'random' | 'sobol' | 'tpe' | 'command';
  /** For `algorithm: command`: a sampler of your own, speaking JSON lines on stdin and stdout (see the README). */
  readonly command?: string;
  /** For `algorithm: command`: seconds to wait for each of its answers. @defaultValue 120 */
  readonly ask_timeout?: number;
  /** The metric trials are ranked by: the mean over a trial's jobs of the last value each reported. */
  readonly metric?: string;
  /** @defaultValue `min` */
  readonly goal?: 'min' | 'max';
  /**
   * Several objectives (2 to 4) instead of `metric` and `goal`: trials are judged by Pareto
   * dominance, the best is the front of trials no other beats in every objective, and `tpe`
   * learns from their non-domination ranks (MOTPE). Early stopping then prunes on the one metric
   * `early_stopping.metric` names.
   */
  readonly metrics?: readonly { readonly name: string; readonly goal: 'min' | 'max' }[];
  /** Trials in all, over every run of the search. @defaultValue the size of a finite space; required for an infinite one (unless `max_duration` or `target` is given) */
  readonly max_trials?: number;
  /** Seconds from the start of a run after which no trial is proposed. */
  readonly max_duration?: number;
  /** Propose no more once a trial's value reaches this. */
  readonly target?: number;
  /** @defaultValue a random one, kept for the search's later runs */
  readonly seed?: number;
  /** Trials drawn from the quasi-random design before TPE models results. @defaultValue 10 */
  readonly startup_trials?: number;
  /** TPE: model the params jointly (what worked together is proposed together) rather than one at a time. @defaultValue true with `metrics` (several objectives), else false */
  readonly multivariate?: boolean;
  /** An NNI search-space file (`_type`/`_value`), relative to the config's folder: its params join `params`. */
  readonly space_file?: string;
  /**
   * Trials to run first, each with exactly these params (every sampled param, a value the space
   * can take): known-good configs the search starts from and learns from. They count in
   * `max_trials`; a resumed search does not run them again.
   */
  readonly initial?: readonly Readonly<Record<string, JsonValue>>[];
}

/** A search: a job template whose params may be distributions, and its `search` section. @public */
export interface SearchConfig<P extends { readonly [name: string]: SpaceValue } = { readonly [name: string]: SpaceValue }> extends Omit<JobTemplate, 'params'> {
  readonly params: P;
  readonly search: SearchSettings;
  readonly execution: ExecutionConfig;
  readonly resource?: ResourceConfig;
  readonly backend?: BackendConfig;
  readonly daemon?: DaemonConfig;
  readonly job_defaults?: JobDefaultsConfig;
  readonly halt?: HaltConfig;
}

/** The value a job gets for a param of a search. @public */
export type SampledValue<V> = V extends
  | { readonly uniform: unknown }
  | { readonly loguniform: unknown }
  | { readonly int: unknown }
  | { readonly normal: unknown }
  | { readonly lognormal: unknown }
  ? number
  : V extends { readonly choice: readonly (infer O)[] }
    ? SampledValue<O>
    : V extends readonly (infer E)[]
      ? E
      : V extends { readonly [key: string]: unknown }
        ? { -readonly [K in keyof V]: SampledValue<V[K]> }
        : V;

/** The params of a search's jobs: numbers for distributions, the options of a choice, one value of a list. @public */
export type SearchParamsOf<S> = S extends { readonly params: infer P; readonly search: unknown } ? { -readonly [K in keyof P]: SampledValue<P[K]> } : never;

/**
 * Identity function that gives a search its full type, so `getJobParams<typeof search>()` knows
 * that `lr` is a number and `opt` is `'sgd' | 'adam'`.
 * @example
 * ```ts
 * export default defineSearch({
 *   params: { lr: { loguniform: [1e-5, 1e-1] }, opt: { choice: ['sgd', 'adam'] } },
 *   execution: { command: 'python3 train.py {args}' },
 *   search: { algorithm: 'tpe', metric: 'loss', max_trials: 50 },
 * })
 * ```
 * @public
 */
export function defineSearch<const S extends SearchConfig>(search: S): S {
  return search;
}
