import { createHash } from 'node:crypto';
import { basename, dirname, extname } from 'node:path';

/** JSON with object keys sorted, so equal values always hash alike. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The first `length` hex digits of the text's SHA-256. */
export function shortHash(text: string, length = 10): string {
  // Only the bytes needed are made hex: a slice of the whole digest's text would keep all of it
  // alive with every job's spec (about 90 bytes a job).
  const hex = createHash('sha256')
    .update(text)
    .digest()
    .toString('hex', 0, Math.ceil(length / 2));
  return hex.length === length ? hex : hex.slice(0, length);
}

/** Why `name` cannot name a directory of its own, or undefined when it can. */
export function unsafeNameReason(name: string): string | undefined {
  if (name === '') return 'must not be empty';
  if (name === '.' || name === '..') return `"${name}" is not a usable file name`;
  if (/[/\\]/.test(name)) return `must not contain "/" or "\\", got ${JSON.stringify(name)}`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
  if (/[\u0000-\u001f\u007f]/.test(name)) return `must not contain control characters, got ${JSON.stringify(name)}`;
  if (name.startsWith('-')) return `must not start with "-", got ${JSON.stringify(name)}`;
  if (Buffer.byteLength(name) > 200) return 'must be at most 200 bytes long';
  return undefined;
}

const slugSafe = /^[A-Za-z0-9._+-]+$/;

/**
 * A stable, readable job name from its params: `learning_rate=0.1,max_depth=3` when every value is
 * short and plain, else `job-<hash of the params>`. Equal params always give the same name.
 */
export function jobNameFromParams(params: Readonly<Record<string, unknown>>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    const text = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
    if (text === undefined || !slugSafe.test(key) || !slugSafe.test(text)) return `job-${shortHash(canonicalJson(params))}`;
    parts.push(`${key}=${text}`);
  }
  const slug = parts.join(',');
  return slug && slug.length <= 80 && !slug.startsWith('-') ? slug : `job-${shortHash(canonicalJson(params))}`;
}

/**
 * The batch name of a config file that names none: its base name and a hash of its path, so
 * re-running the same file resumes it and two `batch.json` in different folders stay apart.
 */
export function defaultBatchName(file: string): string {
  let stem = basename(file, extname(file)).replace(/\.config$/, '');
  if (stem === 'hyperctl') stem = basename(dirname(file));
  stem = stem.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[-.]+/, '') || 'batch';
  return `${stem}-${shortHash(canonicalJson(file), 6)}`;
}
