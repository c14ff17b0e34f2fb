import type { JsonValue } from '../batch/types.js';
import { isPlainObject } from '../plain-object.js';

/** NNI's `_type`s and what each becomes here. */
const converters: Readonly<Record<string, (values: readonly number[]) => JsonValue>> = {
  // NNI's randint excludes its upper bound; ours includes it.
  randint: ([low, high]) => ({ int: [low!, high! - 1] }),
  uniform: ([low, high]) => ({ uniform: [low!, high!] }),
  // clip(round(uniform(low, high) / q) * q, low, high), as NNI defines it.
  quniform: ([low, high, q]) => ({ uniform: [low!, high!], q: q! }),
  loguniform: ([low, high]) => ({ loguniform: [low!, high!] }),
  qloguniform: ([low, high, q]) => ({ loguniform: [low!, high!], step: q! }),
  normal: ([mu, sigma]) => ({ normal: [mu!, sigma!] }),
  qnormal: ([mu, sigma, q]) => ({ normal: [mu!, sigma!], step: q! }),
  lognormal: ([mu, sigma]) => ({ lognormal: [mu!, sigma!] }),
  qlognormal: ([mu, sigma, q]) => ({ lognormal: [mu!, sigma!], step: q! }),
};

const arity: Readonly<Record<string, number>> = {
  randint: 2,
  uniform: 2,
  quniform: 3,
  loguniform: 2,
  qloguniform: 3,
  normal: 2,
  qnormal: 3,
  lognormal: 2,
  qlognormal: 3,
};

/**
 * An NNI search-space file (`{"lr": {"_type": "loguniform", "_value": [1e-4, 0.1]}, …}`) as this
 * project's params: each `_type` becomes the distribution of the same meaning; a `choice` of
 * objects with `_name` becomes a choice of sub-spaces (the `_name` stays in the params, as NNI
 * gives it). `issues` name what cannot be read, by its path in the file.
 */
export function fromNniSpace(space: unknown, where: string): { params: Record<string, JsonValue>; issues: string[] } {
  const issues: string[] = [];
  const convert = (entry: unknown, path: string): JsonValue => {
    if (!isPlainObject(entry) || typeof entry._type !== 'string') {
      issues.push(`${path}: expected {"_type": …, "_value": …}`);
      return null;
    }
    const type = entry._type;
    const value = entry._value;
    if (type === 'choice') {
      if (!Array.isArray(value) || value.length === 0) {
        issues.push(`${path}._value: expected a non-empty list of options`);
        return null;
      }
      // An option that is an object is a sub-space: its entries are params of their own (or `_name`).
      const options = value.map((option, i) =>
        isPlainObject(option)
          ? Object.fromEntries(
              Object.entries(option).map(([k, v]) => [k, k === '_name' || !isPlainObject(v) ? (v as JsonValue) : convert(v, `${path}._value[${i}].${k}`)]),
            )
          : (option as JsonValue),
      );
      return { choice: options };
    }
    const make = converters[type];
    if (!make) {
      issues.push(`${path}._type: ${JSON.stringify(type)} is not one of NNI's: choice, ${Object.keys(converters).join(', ')}`);
      return null;
    }
    if (!Array.isArray(value) || value.length !== arity[type] || !value.every((n) => typeof n === 'number' && Number.isFinite(n))) {
      issues.push(`${path}._value: ${type} takes ${arity[type]} numbers`);
      return null;
    }
    // Said in the file's own words: the bounds as written, before NNI's exclusive upper bound becomes ours.
    if (type === 'randint' && !(Number.isInteger(value[0]) && Number.isInteger(value[1]))) {
      issues.push(`${path}: randint [${value.join(', ')}] takes two whole numbers`);
      return null;
    }
    if (type === 'randint' && value[1] <= value[0]) {
      issues.push(`${path}: randint [${value.join(', ')}] has no values (NNI excludes the upper bound)`);
      return null;
    }
    return make(value as number[]);
  };
  if (!isPlainObject(space)) return { params: {}, issues: [`${where}: expected an object of params`] };
  const params = Object.fromEntries(Object.entries(space).map(([name, entry]) => [name, convert(entry, `${where}: ${name}`)]));
  return { params, issues };
}
