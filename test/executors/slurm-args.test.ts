import { describe, expect, it } from 'vitest';
import { sbatchArgs } from '../../src/executors/slurm/sbatch-args.js';
import { isEnded, isLost, parseQueue } from '../../src/executors/slurm/slurm-states.js';

describe('sbatch options', () => {
  it('map the backend settings, the array and its throttle, resources and the time limit', () => {
    const args = sbatchArgs(
      { partition: 'gpu', account: 'ml', qos: 'high', time: '1:00:00', parallelism: 4, sbatch_args: ['--exclusive'] },
      { batchName: 'sweep', tasks: 10, resource: { cpu: 1.5, ram: 2048, gpu: 2 }, timeoutMs: 90_000, errorLog: '/x/%A_%a.err' },
    );
    expect(args).toEqual([
      '--parsable',
      '--job-name=hyperctl-sweep',
      '--array=0-9%4',
      '--output=/dev/null',
      '--error=/x/%A_%a.err',
      '--partition=gpu',
      '--account=ml',
      '--qos=high',
      '--cpus-per-task=2',
      '--mem=2048M',
      '--gres=gpu:2',
      '--time=2',
      '--exclusive',
    ]);
    expect(sbatchArgs({ time: '30' }, { batchName: 'b', tasks: 1, errorLog: 'e' })).toContain('--time=30');
  });

  it('refuse a share of a GPU, which Slurm does not give', () => {
    expect(() => sbatchArgs({}, { batchName: 'b', tasks: 1, resource: { gpu: 0.5 }, errorLog: 'e' })).toThrow('resource.gpu: 0.5: Slurm gives whole GPUs');
  });
});

describe('Slurm job states', () => {
  it('tell which states are final and which mean the node failed', () => {
    for (const state of ['COMPLETED', 'FAILED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'CANCELLED']) expect(isEnded(state), state).toBe(true);
    for (const state of ['PENDING', 'RUNNING', 'CONFIGURING', 'COMPLETING', 'SUSPENDED']) expect(isEnded(state), state).toBe(false);
    expect(isLost('NODE_FAIL')).toBe(true);
    expect(isLost('TIMEOUT')).toBe(false);
  });

  it('read squeue lines', () => {
    expect(parseQueue('12_0|RUNNING|None\n12_1|PENDING|Resources\n\n')).toEqual(
      new Map([
        ['12_0', { state: 'RUNNING', reason: 'None' }],
        ['12_1', { state: 'PENDING', reason: 'Resources' }],
      ]),
    );
  });
});
