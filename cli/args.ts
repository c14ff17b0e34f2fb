import { HyperctlError } from '../src/errors.js';

/** A flag that must be a whole number ≥ `min`, or undefined when not given. */
export function integerFlag(name: string, value: unknown, min: number): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new HyperctlError('E_USAGE', `--${name}: expected a whole number ≥ ${min}, got ${JSON.stringify(value)}`);
  return n;
}
