import { type Batch, openBatch, resolveBatchesDataDir } from '../src/index.js';

/** Flags shared by the commands that read batches. */
export const batchesDataDirArg = {
  'batches-data-dir': {
    type: 'string',
    description: 'folder of all batches (default: $HYPERCTL_BATCHES_DATA_DIR or ~/hyperctl-batches-data-dir)',
    valueHint: 'DIR',
  },
} as const;

export const jsonArg = { json: { type: 'boolean', description: 'print JSON' } } as const;

/** The folder and `--json` flags every reading command takes. */
export const batchArgs = { ...batchesDataDirArg, ...jsonArg } as const;

export const batchNameArg = { batch: { type: 'string', alias: 'b', required: true, description: 'batch name', valueHint: 'NAME' } } as const;

export function batchesDataDirFrom(args: { 'batches-data-dir'?: string | undefined }): string {
  return resolveBatchesDataDir(args['batches-data-dir']);
}

/** Writes `value` as indented JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** The batch a command names, in the folder its flags give. */
export function batchFrom(args: { 'batches-data-dir'?: string | undefined }, name: string): Batch {
  return openBatch(name, { batchesDataDir: batchesDataDirFrom(args) });
}
