import { renameSync, writeFileSync } from 'node:fs';

/** Writes `data` as JSON so that readers see the old file or the new one, never half of one. */
export function writeJsonAtomic(path: string, data: unknown, mode?: number): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, mode === undefined ? undefined : { mode });
  renameSync(tmp, path);
}
