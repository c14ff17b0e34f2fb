import { shellQuote } from '../ssh/shell-quote.js';

/** Files of a job that runs on Slurm, in its data folder on storage the compute nodes share. */
export const slurmFiles = { script: 'slurm-job.sh', exit: 'exit-status' } as const;

/**
 * The script one array task runs for one job: output into the job's own files, its environment,
 * its working folder, the command, and its exit status written where the runner reads it (Slurm's
 * own accounting may be off). Values are single-quoted; only the command is shell code.
 */
export function slurmJobScript(command: string, dataDir: string, workingDir: string, env: Readonly<Record<string, string>>): string {
  const file = (name: string) => shellQuote(`${dataDir}/${name}`);
  return [
    '#!/bin/sh',
    `exec >${file('stdout')} 2>${file('stderr')} </dev/null`,
    ...Object.entries(env).map(([name, value]) => `export ${name}=${shellQuote(value)}`),
    `cd ${shellQuote(workingDir)} || exit 1`,
    `sh -c ${shellQuote(command)}`,
    'status=$?',
    `printf '%s\\n' "$status" > ${file(slurmFiles.exit)}`,
    'exit "$status"',
    '',
  ].join('\n');
}

/** The script of a whole array: task N runs the job script on line N+1 of `manifest`. */
export function slurmArrayScript(manifest: string): string {
  return ['#!/bin/sh', `exec sh "$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" ${shellQuote(manifest)})"`, ''].join('\n');
}
