import type { Executor } from '../executors/executor.js';
import type { Capacity } from '../executors/capacity.js';
import { fitsEmpty, MachineLoad, type Demand, type Grant } from './capacity.js';

/** A place a job was given: the executor, and what it took there. */
export interface Placement {
  readonly executor: Executor;
  readonly grant: Grant;
}

interface Machine {
  readonly executor: Executor;
  readonly load: MachineLoad;
}

interface Waiter {
  readonly demand: Demand;
  readonly avoid: ReadonlySet<Executor>;
  /** Higher is placed first; equal ones in the order they came. */
  readonly priority: () => number;
  readonly resolve: (placement: Placement | undefined) => void;
}

const up = (m: Machine) => (m.executor.health ?? 'up') === 'up';

/**
 * Hands out places on the executors' machines to jobs, first come first served: a job gets a
 * machine whose free slots and capacity fit its demand now. A job that fits nowhere yet reserves
 * one machine it fits when empty, and no job behind it may start there until it has started: so a
 * large job is never starved by a stream of small ones, while other machines keep serving them.
 */
export class ResourcePool {
  readonly #machines: readonly Machine[];
  readonly #waiting: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** Jobs at once over all machines (a steered batch's parallelism). */
  #limit = Number.POSITIVE_INFINITY;
  #placed = 0;
  #paused = false;

  constructor(executors: readonly { executor: Executor; capacity: Capacity }[]) {
    this.#machines = executors.map(({ executor, capacity }) => ({ executor, load: new MachineLoad(capacity, executor.slots) }));
  }

  /**
   * A place for `demand` on an executor not in `avoid` (unless only those are left); undefined
   * when `signal` aborts or no machine that could ever fit the demand is left.
   */
  take(demand: Demand, avoid: ReadonlySet<Executor>, signal: AbortSignal, priority: () => number = () => 0): Promise<Placement | undefined> {
    if (signal.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        demand,
        avoid,
        priority,
        resolve: (placement) => {
          if (placement) this.#placed++;
          signal.removeEventListener('abort', onAbort);
          resolve(placement);
        },
      };
      const onAbort = () => {
        this.#remove(waiter);
        waiter.resolve(undefined);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(waiter);
      this.#dispatch();
    });
  }

  /** Marks GPUs of an executor's machine as held by another run for `ms`; the jobs waiting for them are placed again then. */
  holdElsewhere(executor: Executor, gpus: readonly number[], ms: number): void {
    this.#machines.find((m) => m.executor === executor)!.load.holdElsewhere(gpus, ms);
  }

  /** Returns what a job took. */
  give(placement: Placement): void {
    this.#machines.find((m) => m.executor === placement.executor)!.load.release(placement.grant);
    this.#placed--;
    this.#dispatch();
  }

  /** Jobs at once on the machine of `host` (all machines of that host), from now on; running ones go on. */
  setSlots(host: string, slots: number): boolean {
    const machines = this.#machines.filter((m) => m.executor.host === host);
    for (const machine of machines) machine.load.slots = slots;
    this.#dispatch();
    return machines.length > 0;
  }

  /** Jobs at once over all machines, from now on; running ones go on. */
  setLimit(limit: number): void {
    this.#limit = limit;
    this.#dispatch();
  }

  /** Jobs at once the machines allow now: the limit, or the sum of their slots. */
  get slots(): number {
    return Math.min(
      this.#limit,
      this.#machines.reduce((sum, m) => sum + m.load.slots, 0),
    );
  }

  /** The machines' hosts. */
  get hosts(): string[] {
    return [...new Set(this.#machines.map((m) => m.executor.host))];
  }

  /** While paused no job is placed; waiting ones keep their turn. */
  setPaused(paused: boolean): void {
    this.#paused = paused;
    this.#dispatch();
  }

  /** Places waiting jobs again now: a waiting job's priority changed. */
  reorder(): void {
    this.#dispatch();
  }

  #remove(waiter: Waiter): void {
    const index = this.#waiting.indexOf(waiter);
    if (index >= 0) this.#waiting.splice(index, 1);
  }

  #dispatch(): void {
    if (this.#paused) return;
    const reserved = new Set<Machine>();
    // Higher priority first; the sort is stable, so equal ones keep the order they came in (and
    // without priorities, which is most runs, nothing is sorted).
    const order = this.#waiting.some((waiter) => waiter.priority() !== 0)
      ? this.#waiting
          .map((waiter) => ({ waiter, priority: waiter.priority() }))
          .sort((a, b) => b.priority - a.priority)
          .map(({ waiter }) => waiter)
      : [...this.#waiting];
    for (const waiter of order) {
      if (reserved.size === this.#machines.length || this.#placed >= this.#limit) break;
      const able = this.#machines.filter((m) => fitsEmpty(waiter.demand, m.load.capacity));
      if (able.every((m) => m.executor.health === 'gone')) {
        this.#remove(waiter);
        waiter.resolve(undefined);
        continue;
      }
      // A machine the job was lost on is taken again only when no other one could ever run it.
      const others = able.filter((m) => !waiter.avoid.has(m.executor) && m.executor.health !== 'gone');
      const ordered = (others.length > 0 ? others : able).filter((m) => up(m) && !reserved.has(m));
      let placed = false;
      for (const machine of ordered) {
        const grant = machine.load.tryTake(waiter.demand);
        if (!grant) continue;
        this.#remove(waiter);
        waiter.resolve({ executor: machine.executor, grant });
        placed = true;
        break;
      }
      if (!placed && ordered[0]) reserved.add(ordered[0]);
    }
    // Machines come back up, or go for good, without a job ending: look again a little later.
    if (this.#waiting.length > 0 && !this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#dispatch();
      }, 250);
    }
  }
}
