import type { SearchParamsOf } from './search-config.js';
import type { BatchConfig, JobConfig, JobParams } from './types.js';

/**
 * Identity function that gives a batch config its full type, for `hyperctl.config.ts`. Literal
 * params flow through, so `getJobParams<typeof batch>()` knows their types.
 * @example
 * ```ts
 * export default defineBatch({ jobs: [{ params: { lr: 0.1 }, execution: { command: 'node train.mjs' } }] })
 * ```
 * @public
 */
export function defineBatch<const B extends BatchConfig>(batch: B): B {
  return batch;
}

/**
 * The params type of a batch's jobs (a union when jobs differ), of a search's jobs, or `T` itself
 * when it is neither.
 * @public
 */
export type JobParamsOf<T> = T extends { readonly jobs: readonly (infer J)[] }
  ? J extends JobConfig<infer P>
    ? P
    : JobParams
  : T extends { readonly params: unknown; readonly search: unknown }
    ? SearchParamsOf<T>
    : T;
