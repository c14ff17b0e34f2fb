import type { Executor } from '../executors/executor.js';

/**
 * The free job slots of a run's executors, one entry per slot. Jobs take a slot of an executor
 * that is up, preferring executors they have not failed on; a slot whose executor is down waits
 * until it is up again.
 */
export class SlotPool {
  readonly #executors: readonly Executor[];
  readonly #free: Executor[];
  readonly #waiters = new Set<() => void>();

  constructor(executors: readonly Executor[]) {
    this.#executors = executors;
    this.#free = executors.flatMap((executor) => Array.from({ length: executor.slots }, () => executor));
  }

  /** Slots in all, up or not. */
  get size(): number {
    return this.#executors.reduce((sum, e) => sum + e.slots, 0);
  }

  /**
   * A free slot's executor, or undefined when `signal` aborts or every executor is gone for good.
   * Executors in `avoid` are taken only when no other one has a slot free.
   */
  async take(avoid: ReadonlySet<Executor>, signal: AbortSignal): Promise<Executor | undefined> {
    for (;;) {
      if (signal.aborted || this.#executors.every((e) => e.health === 'gone')) return undefined;
      const up = (e: Executor) => (e.health ?? 'up') === 'up';
      let index = this.#free.findIndex((e) => up(e) && !avoid.has(e));
      if (index < 0) index = this.#free.findIndex(up);
      if (index >= 0) return this.#free.splice(index, 1)[0];
      // Woken by a returned slot; the timer notices an executor coming back up.
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.#waiters.delete(wake);
          signal.removeEventListener('abort', wake);
          resolve();
        };
        const timer = setTimeout(wake, 250);
        this.#waiters.add(wake);
        signal.addEventListener('abort', wake, { once: true });
      });
    }
  }

  /** Returns a slot taken with {@link SlotPool.take}. */
  give(executor: Executor): void {
    this.#free.push(executor);
    const [first] = this.#waiters;
    first?.();
  }
}
