import { defineCommand } from 'citty';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { stringify } from 'yaml';
import { batchFieldsOf, generateJobs, parseTemplate, type JobTemplate } from '../../src/batch/generate.js';
import type { TemplateInput } from '../../src/batch/schema.js';
import { loadConfigFile } from '../../src/batch/load-file.js';
import { HyperctlError, isHyperctlError } from '../../src/errors.js';
import { exitCodes } from '../exit-codes.js';

export const generateCommand = defineCommand({
  meta: { name: 'generate', description: 'expand a job template (params: lists of values) into a batch config' },
  args: {
    template: { type: 'string', alias: 't', required: true, description: 'job template: .yaml, .yml or .json', valueHint: 'FILE' },
    output: { type: 'string', alias: 'o', default: 'batch.json', description: 'batch config to write: .json, .yaml or .yml', valueHint: 'FILE' },
    force: { type: 'boolean', description: 'overwrite the output file if it exists' },
    json: { type: 'boolean', description: 'print what was written as JSON' },
  },
  async run({ args }): Promise<number> {
    const template = parseTemplate(await loadConfigFile(args.template), args.template);
    const output = resolve(args.output);
    const ext = extname(output).toLowerCase();
    if (!['.json', '.yaml', '.yml'].includes(ext))
      throw new HyperctlError('E_USAGE', `--output: expected a .json, .yaml or .yml file name, got ${JSON.stringify(args.output)}`);
    if (existsSync(output) && !args.force) throw new HyperctlError('E_OUTPUT_EXISTS', `${args.output} exists; pass --force to overwrite it`);
    mkdirSync(dirname(output), { recursive: true });
    const jobs = writeBatchFile(output, template, ext === '.json' ? 'json' : 'yaml');
    const summary = { output, jobs };
    process.stdout.write(args.json ? `${JSON.stringify(summary)}\n` : `wrote ${jobs} job${jobs === 1 ? '' : 's'} to ${args.output}\n`);
    return exitCodes.ok;
  },
});

/** Writes the batch to a temp file, streaming the jobs, then renames it: never a half-written output. */
function writeBatchFile(output: string, template: TemplateInput, format: 'json' | 'yaml'): number {
  const tmp = `${output}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  let count = 0;
  try {
    const head = batchFieldsOf(template);
    if (format === 'json') {
      const headText = Object.keys(head).length ? `${JSON.stringify(head, null, 2).slice(0, -2)},` : '{';
      writeSync(fd, `${headText}\n  "jobs": [`);
      let chunk = '';
      for (const job of generateJobs(template as JobTemplate)) {
        chunk += `${count++ ? ',' : ''}\n    ${JSON.stringify(job)}`;
        if (chunk.length > 1 << 16) {
          writeSync(fd, chunk);
          chunk = '';
        }
      }
      writeSync(fd, `${chunk}${count ? '\n  ' : ''}]\n}\n`);
    } else {
      const jobs = [...generateJobs(template as JobTemplate)];
      count = jobs.length;
      writeSync(fd, stringify({ ...head, jobs }));
    }
  } catch (error) {
    closeSync(fd);
    unlinkSync(tmp);
    if (isHyperctlError(error)) throw error;
    throw new HyperctlError('E_OUTPUT_WRITE', `cannot write ${output}: ${(error as Error).message}`, { cause: error });
  }
  closeSync(fd);
  renameSync(tmp, output);
  return count;
}
