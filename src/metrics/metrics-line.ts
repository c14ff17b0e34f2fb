import * as v from 'valibot';

/**
 * A job's metrics: name → number or string. The last value of each name wins.
 * @public
 */
export type Metrics = { readonly [name: string]: number | string };

// A name is text for a column, a log line, a terminal: no control characters, at most 200 characters.
const metricsSchema = v.record(
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
  v.pipe(v.string(), v.minLength(1), v.maxLength(200), v.regex(/^[^\u0000-\u001f\u007f]*$/)),
  v.union([v.pipe(v.number(), v.finite()), v.string()]),
);

/** One report of metrics, with the step it belongs to when the job said. */
export interface MetricsReport {
  readonly values: Metrics;
  readonly step?: number;
}

/**
 * Reads one report from JSON (a stdout line after the marker, a POST body, `metrics.json`):
 * an object of numbers and strings, `_step` naming its step. Undefined when it is not one.
 */
export function parseMetrics(json: string): MetricsReport | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  return toReport(value);
}

/** {@link parseMetrics} for a value already parsed. */
export function toReport(value: unknown): MetricsReport | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const { _step: step, ...rest } = value as Record<string, unknown>;
  const parsed = v.safeParse(metricsSchema, rest);
  if (!parsed.success || Object.keys(parsed.output).length === 0) return undefined;
  return { values: parsed.output, ...(typeof step === 'number' && Number.isFinite(step) ? { step } : {}) };
}
