import { defineCommand } from 'citty';
import { generateBatchFile, HyperctlError, isHyperctlError } from '../../src/index.js';
import { exitCodes } from '../exit-codes.js';
import { commandMeta } from './meta.js';

export const generateCommand = defineCommand({
  meta: commandMeta.generate,
  args: {
    template: { type: 'string', alias: 't', required: true, description: 'job template: .yaml, .yml or .json', valueHint: 'FILE' },
    output: { type: 'string', alias: 'o', default: 'batch.json', description: 'batch config to write: .json, .yaml or .yml', valueHint: 'FILE' },
    force: { type: 'boolean', description: 'overwrite the output file if it exists' },
    dialect: {
      type: 'string',
      description: "format to write: hyperctl (its own) or hypernets (Hypernets 0.2.5.4-0.3.2's job_command and server); default: the template's",
      valueHint: 'NAME',
    },
    json: { type: 'boolean', description: 'print what was written as JSON' },
  },
  async run({ args }): Promise<number> {
    const dialect = args.dialect;
    if (dialect !== undefined && dialect !== 'hyperctl' && dialect !== 'hypernets')
      throw new HyperctlError('E_USAGE', `--dialect: expected hyperctl or hypernets, got ${JSON.stringify(dialect)}`);
    let summary: { output: string; jobs: number; dialect: string };
    try {
      summary = await generateBatchFile(args.template, args.output, { force: Boolean(args.force), ...(dialect ? { dialect } : {}) });
    } catch (error) {
      // The SDK names its argument; the CLI's is the flag.
      if (isHyperctlError(error) && error.code === 'E_USAGE') throw new HyperctlError('E_USAGE', error.message.replace(/^output:/, '--output:'));
      throw error;
    }
    const { jobs } = summary;
    process.stdout.write(args.json ? `${JSON.stringify(summary)}\n` : `wrote ${jobs} job${jobs === 1 ? '' : 's'} to ${args.output}\n`);
    return exitCodes.ok;
  },
});
