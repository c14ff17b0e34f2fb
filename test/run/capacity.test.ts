import { describe, expect, it } from 'vitest';
import { capacityOf } from '../../src/executors/capacity-probe.js';
import { demandOf, fitsEmpty, MachineLoad } from '../../src/run/capacity.js';

const machine = { cpu: 8, ram: 1000, gpus: [0, 1] };

describe('capacity', () => {
  it('gives out CPUs, memory and GPUs until they are used up, and takes them back', () => {
    const load = new MachineLoad(machine, 10);
    const first = load.tryTake(demandOf({ cpu: 4, gpu: 1 }));
    const second = load.tryTake(demandOf({ cpu: 4, gpu: 1 }));
    expect([first?.gpus, second?.gpus]).toEqual([[0], [1]]);
    expect(load.tryTake(demandOf({ cpu: 1 }))).toBeUndefined();
    load.release(first!);
    expect(load.tryTake(demandOf({ cpu: 1, ram: 500 }))).toBeDefined();
  });

  it('shares a GPU among jobs that ask for a part of one, exactly', () => {
    const load = new MachineLoad({ cpu: 8, ram: 1000, gpus: [0] }, 10);
    const thirds = [0, 1, 2].map(() => load.tryTake(demandOf({ gpu: 1 / 3 })));
    expect(thirds.map((g) => g?.gpus)).toEqual([[0], [0], [0]]);
    expect(load.tryTake(demandOf({ gpu: 0.1 }))).toBeUndefined();
  });

  it('gives a job without resource the whole machine, alone', () => {
    const load = new MachineLoad(machine, 10);
    expect(load.tryTake(demandOf(undefined))?.gpus).toEqual([0, 1]);
    expect(load.tryTake(demandOf({ cpu: 0.1 }))).toBeUndefined();
  });

  it('tells a job that could never fit, and applies configured overrides', () => {
    expect(fitsEmpty(demandOf({ gpu: 3 }), machine)).toBe(false);
    expect(fitsEmpty(demandOf({ gpu: 2, cpu: 8 }), machine)).toBe(true);
    const probed = { cpu: 8, ram: 1000, gpus: [0, 1].map((index) => ({ index, leases: [], foreign: [] })) };
    expect(capacityOf(probed, { gpu: 4, cpu: 2 })).toEqual({ cpu: 2, ram: 1000, gpus: [0, 1, 2, 3] });
    expect(capacityOf(probed, { gpu: [1] })).toEqual({ cpu: 8, ram: 1000, gpus: [1] });
  });
});
