import type { ResourceConfig } from '../batch/types.js';
import { type Capacity, gpuKey } from '../executors/capacity.js';

/** What a job takes of a machine: all of it, or some CPUs, MB and GPUs (a share below 1). */
export type Demand = { readonly whole: true } | { readonly whole: false; readonly cpu: number; readonly ram: number; readonly gpu: number };

/** A machine without limits but its slots: what executors that tell no capacity offer. */
export const unlimited: Capacity = { cpu: Number.POSITIVE_INFINITY, ram: Number.POSITIVE_INFINITY, gpus: [] };

/** Nothing but a slot: every job's demand when no job of the batch declares `resource`. */
export const slotOnly: Demand = { whole: false, cpu: 0, ram: 0, gpu: 0 };

/** A job's demand: a whole machine without `resource`, as the seed says. */
export function demandOf(resource: ResourceConfig | undefined): Demand {
  return resource ? { whole: false, cpu: resource.cpu ?? 0, ram: resource.ram ?? 0, gpu: resource.gpu ?? 0 } : { whole: true };
}

/** True when `demand` fits `capacity` when nothing else runs there. */
export function fitsEmpty(demand: Demand, capacity: Capacity): boolean {
  if (demand.whole) return true;
  const gpusNeeded = demand.gpu > 0 && demand.gpu < 1 ? 1 : demand.gpu;
  return demand.cpu <= capacity.cpu && demand.ram <= capacity.ram && gpusNeeded <= capacity.gpus.length;
}

/** `cpu 2, ram 1024 MB, gpu 1` */
export function describeDemand(demand: Demand): string {
  return demand.whole ? 'a whole machine' : `cpu ${demand.cpu}, ram ${demand.ram} MB, gpu ${demand.gpu}`;
}

export function describeCapacity(capacity: Capacity): string {
  const n = (x: number) => (Number.isFinite(x) ? String(x) : 'any');
  return `cpu ${n(capacity.cpu)}, ram ${n(capacity.ram)} MB, gpu ${capacity.gpus.length}`;
}

/** What a job was given: its GPUs (indices, and their names in lease files), and the demand to give back. */
export interface Grant {
  readonly demand: Demand;
  readonly gpus: readonly number[];
  readonly gpuKeys: readonly string[];
}

/** GPU shares are counted in thousandths, so that halves and thirds add up exactly. */
const whole = 1000;

/** What is in use on one machine: CPUs, memory, each GPU's share, and jobs against its slots. */
export class MachineLoad {
  readonly capacity: Capacity;
  /** Jobs at once; may change while jobs run (lowered, those running go on). */
  slots: number;
  #cpu = 0;
  #ram = 0;
  #jobs = 0;
  #wholeTaken = false;
  readonly #gpuFree: Map<number, number>;
  /** GPUs another run holds, by when to look again. */
  readonly #heldElsewhere = new Map<number, number>();

  constructor(capacity: Capacity, slots: number) {
    this.capacity = capacity;
    this.slots = slots;
    this.#gpuFree = new Map(capacity.gpus.map((index) => [index, whole]));
  }

  /** Takes what `demand` needs when it fits now; otherwise undefined and nothing taken. */
  tryTake(demand: Demand): Grant | undefined {
    if (this.#wholeTaken || this.#jobs >= this.slots) return undefined;
    if (demand.whole) {
      if (this.#jobs > 0) return undefined;
      if (this.capacity.gpus.some((index) => this.#isHeldElsewhere(index))) return undefined;
      this.#wholeTaken = true;
      this.#jobs++;
      return this.#grant(demand, this.capacity.gpus);
    }
    const epsilon = 1e-9;
    if (this.#cpu + demand.cpu > this.capacity.cpu + epsilon || this.#ram + demand.ram > this.capacity.ram + epsilon) return undefined;
    const gpus = this.#pickGpus(demand.gpu);
    if (!gpus) return undefined;
    const share = demand.gpu < 1 ? Math.round(demand.gpu * whole) : whole;
    for (const index of gpus) this.#gpuFree.set(index, this.#gpuFree.get(index)! - share);
    this.#cpu += demand.cpu;
    this.#ram += demand.ram;
    this.#jobs++;
    return this.#grant(demand, gpus);
  }

  /** Marks GPUs as held by another run on this machine: none of them is given before `ms` have passed. */
  holdElsewhere(gpus: readonly number[], ms: number): void {
    for (const index of gpus) this.#heldElsewhere.set(index, Date.now() + ms);
  }

  #isHeldElsewhere(index: number): boolean {
    const until = this.#heldElsewhere.get(index);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.#heldElsewhere.delete(index);
    return false;
  }

  #grant(demand: Demand, gpus: readonly number[]): Grant {
    return { demand, gpus, gpuKeys: gpus.map((index) => gpuKey(this.capacity, index)) };
  }

  release(grant: Grant): void {
    this.#jobs--;
    if (grant.demand.whole) {
      this.#wholeTaken = false;
      return;
    }
    const share = grant.demand.gpu < 1 ? Math.round(grant.demand.gpu * whole) : whole;
    for (const index of grant.gpus) this.#gpuFree.set(index, this.#gpuFree.get(index)! + share);
    this.#cpu -= grant.demand.cpu;
    this.#ram -= grant.demand.ram;
  }

  /** GPUs for a demand: none; the fullest GPU a share still fits on; or that many entirely free ones. */
  #pickGpus(gpu: number): number[] | undefined {
    if (gpu === 0) return [];
    const free = [...this.#gpuFree].filter(([index]) => !this.#isHeldElsewhere(index));
    if (gpu < 1) {
      const share = Math.round(gpu * whole);
      // Best fit: fill shared GPUs up before starting on an empty one.
      const fitting = free.filter(([, left]) => left >= share).sort((a, b) => a[1] - b[1]);
      return fitting.length > 0 ? [fitting[0]![0]] : undefined;
    }
    const empty = free.filter(([, left]) => left === whole).map(([index]) => index);
    return empty.length >= gpu ? empty.slice(0, gpu) : undefined;
  }
}
