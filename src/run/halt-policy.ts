import type { BatchSpec } from '../batch/spec.js';
import type { StopCause } from './run-control.js';

/** The batch's `halt` policy: after so many jobs failed for good, the batch starts no more (`now`: and kills the running ones). */
export class HaltPolicy {
  readonly #halt: BatchSpec['halt'];
  #failures = 0;

  constructor(halt: BatchSpec['halt']) {
    this.#halt = halt;
  }

  /** Counts a job that failed for good; the cause to stop with when that reaches the policy. */
  failed(): Extract<StopCause, { kind: 'halt' }> | undefined {
    const halt = this.#halt;
    if (!halt || ++this.#failures < halt.failures) return undefined;
    return { kind: 'halt', failures: this.#failures, now: halt.when === 'now' };
  }
}
