/** File names inside a batch folder, beside its jobs' folders. */
export const batchFiles = {
  spec: 'spec.json',
  journal: 'journal.jsonl',
  runner: 'runner.json',
  lastRun: 'last-run.json',
  token: 'token',
  /** Every job's row and the batch's summary, as a fold of the files above made them (see store/batch-index.ts). */
  index: 'index.json',
  /** The stderr of a search's sampler command. */
  samplerLog: 'sampler.log',
} as const;

/** Folders a backend keeps in a batch folder, beside its jobs' folders. */
export const batchFolders = {
  slurm: 'slurm',
} as const;

const reserved = new Set<string>([...Object.values(batchFiles), ...Object.values(batchFolders)]);

/**
 * Why a job cannot have this name, when a job's folder of that name would be one of the batch's
 * own files (or the temporary file one is written through); undefined when it can.
 */
export function reservedNameReason(name: string): string | undefined {
  const base = name.replace(/\.tmp-\d+$/, '');
  return reserved.has(base) ? `"${name}" is the name of one of the batch's own files; choose another job name` : undefined;
}
