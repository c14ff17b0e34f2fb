import { type HaltConfig, HyperctlError } from '../src/index.js';

/** A flag that must be a whole number from `min` to `max`, or undefined when not given. */
export function integerFlag(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
  if (!Number.isInteger(n) || n < min || n > max)
    throw new HyperctlError('E_USAGE', `--${name}: expected a whole number ${range}, got ${JSON.stringify(value)}`);
  return n;
}

/** `--halt soon,fail=3` or `--halt now,fail=10%` (GNU Parallel's spelling), as the config's `halt`. */
export function haltFlag(value: unknown): HaltConfig | undefined {
  if (value === undefined || value === '') return undefined;
  const match = /^(soon|now),fail=(\d+%?|\d+\.\d+%)$/.exec(String(value));
  if (!match) throw new HyperctlError('E_USAGE', `--halt: expected soon,fail=N or now,fail=N% (e.g. soon,fail=3), got ${JSON.stringify(value)}`);
  const fail = match[2]!.endsWith('%') ? match[2]! : Number(match[2]);
  return { when: match[1] as 'soon' | 'now', fail };
}
