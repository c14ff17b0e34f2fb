import { closeSync, existsSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { yamlLibrary } from '../lazy-library.js';
import { HyperctlError, isHyperctlError } from '../errors.js';
import { batchFieldsOf, generateJobs, parseTemplate, type JobTemplate } from './generate.js';
import { loadConfigFile } from './load-file.js';
import { type ConfigDialect, fromHypernets, inWrittenTerms } from './hypernets-read.js';
import { hypernetsHead, hypernetsJob } from './hypernets-write.js';
import type { TemplateInput } from './schema.js';
import { invalid } from './validate.js';

/**
 * Expands the job template in `templateFile` (JSON or YAML) into a batch config written to
 * `outputFile` (`.json`, `.yaml` or `.yml`), as `hyperctl generate` does: the jobs and the
 * template's `name`, `version`, `backend`, `daemon`, `job_defaults` and `halt`. The batch is written
 * in the format of its template (hyperctl's own, or that of Hypernets' later releases, with
 * `job_command` and `server`) unless `dialect` asks for the other. JSON is written
 * as the jobs are made, so a huge grid never sits in memory at once; a file is written whole or not
 * at all. Refuses to overwrite an existing file without `force` (`E_OUTPUT_EXISTS`).
 * @example
 * ```ts
 * const { jobs } = await generateBatchFile('job-template.yml', 'batch.json')
 * ```
 * @public
 */
export async function generateBatchFile(
  templateFile: string,
  outputFile: string,
  options: { force?: boolean; dialect?: ConfigDialect } = {},
): Promise<{ output: string; jobs: number; dialect: ConfigDialect }> {
  const moved = fromHypernets(await loadConfigFile(templateFile));
  if (moved.issues.length > 0) throw invalid('E_TEMPLATE_INVALID', moved.issues, templateFile);
  let template: TemplateInput;
  try {
    template = parseTemplate(moved.config, templateFile);
  } catch (error) {
    throw inWrittenTerms(error, moved, templateFile);
  }
  const dialect = options.dialect ?? moved.dialect;
  const output = resolve(outputFile);
  const ext = extname(output).toLowerCase();
  if (!['.json', '.yaml', '.yml'].includes(ext))
    throw new HyperctlError('E_USAGE', `output: expected a .json, .yaml or .yml file name, got ${JSON.stringify(outputFile)}`);
  if (existsSync(output) && !options.force) throw new HyperctlError('E_OUTPUT_EXISTS', `${outputFile} exists; pass --force to overwrite it`);
  mkdirSync(dirname(output), { recursive: true });
  return { output, jobs: writeBatchFile(output, template, ext === '.json' ? 'json' : 'yaml', dialect), dialect };
}

/** Writes the batch to a temp file, streaming the jobs, then renames it: never a half-written output. */
function writeBatchFile(output: string, template: TemplateInput, format: 'json' | 'yaml', dialect: ConfigDialect): number {
  const tmp = `${output}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  let count = 0;
  try {
    const own = batchFieldsOf(template);
    const head = dialect === 'hypernets' ? hypernetsHead(own, template.execution.command) : own;
    const jobsOf = () => {
      const jobs = generateJobs(template as JobTemplate);
      return dialect === 'hypernets' ? map(jobs, hypernetsJob) : jobs;
    };
    if (format === 'json') {
      const headText = Object.keys(head).length ? `${JSON.stringify(head, null, 2).slice(0, -2)},` : '{';
      writeSync(fd, `${headText}\n  "jobs": [`);
      let chunk = '';
      for (const job of jobsOf()) {
        chunk += `${count++ ? ',' : ''}\n    ${JSON.stringify(job)}`;
        if (chunk.length > 1 << 16) {
          writeSync(fd, chunk);
          chunk = '';
        }
      }
      writeSync(fd, `${chunk}${count ? '\n  ' : ''}]\n}\n`);
    } else {
      const jobs = [...jobsOf()];
      count = jobs.length;
      // Jobs share their execution object: without this, YAML would write anchors and aliases, and editing one job would edit them all.
      writeSync(fd, yamlLibrary().stringify({ ...head, jobs }, { aliasDuplicateObjects: false }));
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

function* map<T, U>(items: Iterable<T>, f: (item: T) => U): Generator<U> {
  for (const item of items) yield f(item);
}
