import { defineCommand } from 'citty';
import { type GpuState, inspectGpus } from '../../src/index.js';
import { jsonArg, printJson } from '../common-args.js';
import { exitCodes } from '../exit-codes.js';
import { renderTable } from '../render/table.js';
import { commandMeta } from './meta.js';

const leases = (gpu: GpuState) => gpu.leases.map((lease) => (lease.share >= 1000 ? lease.holder : `${lease.share / 10}%: ${lease.holder}`)).join('; ') || '-';
const others = (gpu: GpuState) => gpu.foreign.map((p) => `pid ${p.pid} ${p.name} (${p.memoryMb} MB)`).join('; ') || '-';

export const gpusCommand = defineCommand({
  meta: commandMeta.gpus,
  args: {
    config: { type: 'string', alias: 'c', description: 'a batch config: ask its machines (default: this machine)', valueHint: 'FILE' },
    machine: { type: 'string', alias: 'm', description: 'only these machines of the config (comma-separated)', valueHint: 'NAME,…' },
    ...jsonArg,
  },
  async run({ args }): Promise<number> {
    const named = (args.machine ?? '').split(',').filter(Boolean);
    const machines = await inspectGpus({
      ...(args.config ? { config: args.config } : {}),
      ...(named.length > 0 ? { machines: named } : {}),
    });
    if (args.json) printJson(machines);
    else {
      const rows = machines.flatMap(({ host, gpus, error }) =>
        error
          ? [[host, '-', '-', '-', `cannot ask: ${error}`, '-']]
          : gpus.length === 0
            ? [[host, '-', '-', '-', 'no GPU', '-']]
            : gpus.map((gpu) => [
                host,
                String(gpu.index),
                gpu.uuid ?? '-',
                gpu.memoryMb === undefined ? '-' : `${gpu.memoryUsedMb ?? '?'}/${gpu.memoryMb} MB`,
                leases(gpu),
                others(gpu),
              ]),
      );
      process.stdout.write(renderTable(['MACHINE', 'GPU', 'UUID', 'MEMORY', 'LEASES', 'OTHERS'], rows));
    }
    // A machine that could not be asked is a row of the answer, not a failure of the command.
    return exitCodes.ok;
  },
});
