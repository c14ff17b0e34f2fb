import { closestNames } from '../text/closest-names.js';

/**
 * Watches that the jobs (or a search's trials) that end well report the metric a rule lives on —
 * a search's metric, early stopping's — so that a misspelt or unreported metric is said as soon
 * as the first one ends without it, and ends the rule's work once the first few all lacked it,
 * instead of wasting a whole search on blind proposals.
 */
export class MetricWatch {
  readonly #metric: string;
  readonly #field: string;
  readonly #unit: 'trial' | 'job';
  readonly #limit: number;
  /** Ended well without the metric, before any one reported it. */
  #lacking = 0;
  #seen = false;
  #warned = 0;
  readonly #reported = new Set<string>();

  /** `field` names the setting in messages (`search.metric`); after `limit` lacking ones and none with it, {@link MetricWatch.stopReason} says stop. */
  constructor(metric: string, field: string, unit: 'trial' | 'job', limit = 3) {
    this.#metric = metric;
    this.#field = field;
    this.#unit = unit;
    this.#limit = limit;
  }

  /** Takes in one that ended well, with the names of the metrics it reported; what to warn of, if anything (the first few only). */
  ended(name: string, reported: readonly string[]): string | undefined {
    if (reported.includes(this.#metric)) {
      this.#seen = true;
      return undefined;
    }
    if (!this.#seen) this.#lacking++;
    for (const key of reported) this.#reported.add(key);
    if (this.#warned >= this.#limit) return undefined;
    this.#warned++;
    const others = reported.length > 0 ? closestNames(this.#metric, reported, 'metrics it reported') : '; it reported no metric';
    return `${this.#unit} ${name} ended without reporting ${this.#field} "${this.#metric}"${others}`;
  }

  /** Why the rule's work should end: the first ones all ended without the metric. */
  stopReason(): string | undefined {
    if (this.#seen || this.#lacking < this.#limit) return undefined;
    const reported = [...this.#reported].sort();
    return `the first ${this.#limit} ${this.#unit}s ended without reporting ${this.#field} "${this.#metric}" (${
      reported.length > 0 ? `they reported ${reported.join(', ')}` : 'they reported no metric'
    }): check ${this.#field}`;
  }
}
