import type { FrontTrial, JsonValue } from '../../src/index.js';
import { formatNumber } from '../style.js';
import { renderTable } from './table.js';

/** `lr=0.00208969 opt=adam net={"depth":3}`: params as people read them, numbers without floating-point noise. */
export function paramsText(params: Readonly<Record<string, JsonValue>>): string {
  return Object.entries(params)
    .map(([key, value]) => `${key}=${typeof value === 'number' ? formatNumber(value) : typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
}

/** `loss (min), latency_ms (min)`: a search's objectives as every view names them. */
export function objectivesText(objectives: readonly { readonly metric: string; readonly goal: 'min' | 'max' }[]): string {
  return objectives.map((o) => `${o.metric} (${o.goal})`).join(', ');
}

/**
 * The Pareto front as a table: a row per trial, its value of each objective, its params; headed by
 * what it is, so that no one reads its first row as the winner. The rows go along the trade-off:
 * by the first objective, best first (`--json` keeps trial order).
 */
export function renderFront(
  objectives: readonly { readonly metric: string; readonly goal: 'min' | 'max' }[],
  front: readonly (FrontTrial & { readonly batch?: string })[],
): string {
  const first = objectives[0]!;
  const head = `Pareto front: ${front.length} trial${front.length === 1 ? '' : 's'} no other beats in every one of ${objectivesText(objectives)}${
    front.length > 1 ? `; by ${first.metric}, best first` : ''
  }\n`;
  if (front.length === 0) return `${head}(no trial has ended with a value of every objective yet)\n`;
  const along = [...front].sort((a, b) => (first.goal === 'min' ? 1 : -1) * (a.values[first.metric]! - b.values[first.metric]!) || a.trial - b.trial);
  // Of several batches, each trial is named with its batch.
  const batches = front.some((t) => t.batch !== undefined);
  return `${head}${renderTable(
    [...(batches ? ['BATCH'] : []), 'TRIAL', ...objectives.map((o) => o.metric.toUpperCase()), 'PARAMS'],
    along.map((t) => [
      ...(batches ? [t.batch ?? '-'] : []),
      String(t.trial),
      ...objectives.map((o) => formatNumber(t.values[o.metric]!)),
      paramsText(t.params),
    ]),
  )}`;
}
