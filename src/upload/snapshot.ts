import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, readdirSync, readFileSync, readlinkSync, type Stats } from 'node:fs';
import { isAbsolute, join, relative as relativePath, resolve, sep } from 'node:path';
import { HyperctlError } from '../errors.js';
import type { HashCache } from './hash-cache.js';
import { IgnoreRules } from './ignore-rules.js';
import { TimeSlices } from './time-slices.js';
import type { UploadSpec } from '../batch/upload-spec.js';

/** One thing in a snapshot. */
export type SnapshotEntry =
  | { readonly type: 'directory'; readonly path: string; readonly mode: number }
  | { readonly type: 'file'; readonly path: string; readonly mode: number; readonly size: number; readonly absolute: string; readonly sha256: string }
  | { readonly type: 'symlink'; readonly path: string; readonly target: string };

/** A folder as it is sent: its entries, and an id that is the hash of all of them. */
export interface Snapshot {
  /** SHA-256 of the entries (paths, kinds, modes, contents, link targets): equal trees, equal ids. */
  readonly id: string;
  readonly entries: readonly SnapshotEntry[];
  readonly bytes: number;
  readonly files: number;
  /** What the user should know: links that point outside the tree or at absolute paths. */
  readonly warnings: readonly string[];
}

/** Files up to this size are read whole (one call); larger ones are streamed. */
export const wholeFileBytes = 1 << 20;

/** A file's SHA-256: read whole and at once if small (the thread pool's round trip costs more than the read), else streamed. */
function sha256Of(file: string, size: number): string | Promise<string> {
  if (size <= wholeFileBytes) return createHash('sha256').update(readFileSync(file)).digest('hex');
  return new Promise((done, fail) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', fail)
      .on('end', () => done(hash.digest('hex')));
  });
}

/**
 * Walks the upload's folder (not following links), leaves out what the rules say, and hashes
 * each file (or takes its hash from `cache` when the file is unchanged since); throws
 * `E_UPLOAD_TOO_BIG`, naming the largest folders, past a limit.
 */
export async function takeSnapshot(spec: UploadSpec, cache?: HashCache): Promise<Snapshot> {
  const rules = new IgnoreRules(spec);
  const slices = new TimeSlices();
  const entries: SnapshotEntry[] = [];
  const stats = new Map<string, Stats>();
  const warnings: string[] = [];
  let bytes = 0;
  let files = 0;
  const walk = async (absolute: string, relative: string): Promise<void> => {
    const leave = rules.enter(absolute, relative);
    for (const name of readdirSync(absolute).sort()) {
      await slices.breathe();
      const path = relative ? `${relative}/${name}` : name;
      const full = join(absolute, name);
      const stat = lstatSync(full);
      if (stat.isDirectory()) {
        if (rules.ignores(`${path}/`)) continue;
        entries.push({ type: 'directory', path, mode: stat.mode & 0o7777 });
        await walk(full, path);
      } else if (rules.ignores(path)) {
      } else if (stat.isSymbolicLink()) {
        const target = readlinkSync(full);
        if (isAbsolute(target)) warnings.push(`${path} links to the absolute path ${target}, which may not exist on the machines`);
        else if (relativePath(spec.dir, resolve(absolute, target)).startsWith(`..${sep}`))
          warnings.push(`${path} links to ${target}, outside the uploaded folder`);
        entries.push({ type: 'symlink', path, target });
      } else if (stat.isFile()) {
        files++;
        bytes += stat.size;
        entries.push({ type: 'file', path, mode: stat.mode & 0o7777, size: stat.size, absolute: full, sha256: '' });
        stats.set(path, stat);
      }
    }
    leave();
  };
  await walk(spec.dir, '');
  if (bytes > spec.maxBytes || files > spec.maxFiles) throw tooBig(spec, entries, bytes, files);
  // Hashed once the tree is known to be of a sensible size.
  const hashed: SnapshotEntry[] = [];
  for (const entry of entries) {
    await slices.breathe();
    if (entry.type !== 'file') {
      hashed.push(entry);
      continue;
    }
    const stat = stats.get(entry.path)!;
    const sha256 = cache?.get(entry.path, stat) ?? (await sha256Of(entry.absolute, entry.size));
    cache?.set(entry.path, stat, sha256);
    hashed.push({ ...entry, sha256 });
  }
  cache?.save();
  const id = createHash('sha256');
  for (const entry of hashed) {
    if (entry.type === 'directory') id.update(`d ${entry.mode.toString(8)} ${entry.path}\n`);
    else if (entry.type === 'file') id.update(`f ${entry.mode.toString(8)} ${entry.path} ${entry.size} ${entry.sha256}\n`);
    else id.update(`l ${entry.path} ${entry.target}\n`);
  }
  return { id: id.digest('hex').slice(0, 32), entries: hashed, bytes, files, warnings };
}

/** The error past a limit: how big the tree is, its five largest folders, and how to leave them out. */
function tooBig(spec: UploadSpec, entries: readonly SnapshotEntry[], bytes: number, files: number): HyperctlError {
  const sizes = new Map<string, { bytes: number; files: number }>();
  for (const entry of entries) {
    if (entry.type !== 'file') continue;
    // Every folder on the way counts the file: the largest are then the ones to leave out.
    const parts = entry.path.split('/').slice(0, -1);
    for (let depth = 1; depth <= parts.length; depth++) {
      const folder = parts.slice(0, depth).join('/');
      const size = sizes.get(folder) ?? { bytes: 0, files: 0 };
      size.bytes += entry.size;
      size.files++;
      sizes.set(folder, size);
    }
  }
  const byBytes = bytes > spec.maxBytes;
  const ranked = [...sizes].sort((a, b) => (byBytes ? b[1].bytes - a[1].bytes : b[1].files - a[1].files) || a[0].localeCompare(b[0])).slice(0, 5);
  const limit = byBytes ? `more than ${megabytes(spec.maxBytes)} (upload.max_mb)` : `more than ${spec.maxFiles} files (upload.max_files)`;
  return new HyperctlError(
    'E_UPLOAD_TOO_BIG',
    [
      `the upload of ${spec.dir} holds ${megabytes(bytes)} in ${files} files: ${limit}.`,
      ...(ranked.length > 0 ? ['Its largest folders:', ...ranked.map(([folder, size]) => `  ${folder}/  ${megabytes(size.bytes)}, ${size.files} files`)] : []),
      `Leave folders out with upload.exclude (e.g. exclude: ["${ranked[0]?.[0] ?? 'data'}/"]) or a .hyperctlignore, or raise the limit.`,
    ].join('\n'),
  );
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
