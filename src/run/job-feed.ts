import { type Deferred, deferred } from '../abortable-wait.js';
import type { JobSpec } from '../batch/spec.js';

interface Ranked {
  readonly job: JobSpec;
  readonly priority: number;
  readonly seq: number;
}

/**
 * The jobs of a run still to be handed to its scheduler: in batch order, except those given a
 * priority (higher first; a negative one after the rest), with jobs added or retried at the end.
 * Most jobs have no priority: they wait in a plain list read from its head, so a huge batch costs
 * nothing to feed; only prioritized ones are kept sorted.
 */
export class JobFeed {
  /** `moved`: taken out by a priority; skipped when the head reaches it. */
  readonly #plain: { readonly job: JobSpec; moved: boolean }[] = [];
  #head = 0;
  readonly #ranked: Ranked[] = [];
  readonly #waiting = new Set<string>();
  #seq = 0;
  /** What a wait for the next push waits on: one promise however many wait, made when the first does. */
  #pushed: Deferred | undefined;

  constructor(jobs: Iterable<JobSpec> = [], priorities: ReadonlyMap<string, number> = new Map()) {
    for (const job of jobs) this.push(job, priorities.get(job.name) ?? 0);
  }

  get size(): number {
    return this.#waiting.size;
  }

  /** True while `name` waits here. */
  has(name: string): boolean {
    return this.#waiting.has(name);
  }

  /** Adds a job at the end of those of its priority. */
  push(job: JobSpec, priority = 0): void {
    this.#waiting.add(job.name);
    if (priority === 0) this.#plain.push({ job, moved: false });
    else this.#rank(job, priority);
    const pushed = this.#pushed;
    this.#pushed = undefined;
    pushed?.resolve();
  }

  /** Gives a waiting job a new priority; false when it does not wait here. */
  setPriority(name: string, priority: number): boolean {
    if (!this.#waiting.has(name)) return false;
    const ranked = this.#ranked.findIndex((r) => r.job.name === name);
    let job: JobSpec;
    if (ranked >= 0) job = this.#ranked.splice(ranked, 1)[0]!.job;
    else {
      const entry = this.#plain.find((e, i) => i >= this.#head && !e.moved && e.job.name === name)!;
      entry.moved = true;
      job = entry.job;
    }
    this.#rank(job, priority);
    return true;
  }

  /** The next job to run, or undefined when none waits. */
  take(): JobSpec | undefined {
    let job: JobSpec | undefined;
    if ((this.#ranked[0]?.priority ?? 0) > 0) job = this.#ranked.shift()!.job;
    else job = this.#takePlain() ?? this.#ranked.shift()?.job;
    if (job) this.#waiting.delete(job.name);
    return job;
  }

  /** Resolves at the next push. */
  whenPushed(): Promise<void> {
    this.#pushed ??= deferred();
    return this.#pushed.promise;
  }

  #takePlain(): JobSpec | undefined {
    while (this.#head < this.#plain.length) {
      const entry = this.#plain[this.#head++]!;
      // Read from its head: the list is cut once half of it is behind, not at every take.
      if (this.#head > 1024 && this.#head * 2 > this.#plain.length) {
        this.#plain.splice(0, this.#head);
        this.#head = 0;
      }
      if (!entry.moved) return entry.job;
    }
    return undefined;
  }

  #rank(job: JobSpec, priority: number): void {
    const entry = { job, priority, seq: this.#seq++ };
    // Sorted by priority, highest first; a new entry goes after those of its own priority.
    let at = this.#ranked.findIndex((r) => r.priority < priority);
    if (at < 0) at = this.#ranked.length;
    this.#ranked.splice(at, 0, entry);
  }
}
