import { jobNameFromParams } from '../batch/names.js';
import type { JsonValue } from '../batch/types.js';

/** The name of trial `n`'s job for one combination of the grid axes a search crosses (none: the trial's own name). */
export function trialJobName(n: number, combo: Readonly<Record<string, JsonValue>>): string {
  const base = `trial-${String(n).padStart(4, '0')}`;
  return Object.keys(combo).length === 0 ? base : `${base},${jobNameFromParams(combo)}`;
}

/** The trial a search's job belongs to, from its name: what comes before the grid combination. */
export function trialOfJob(name: string): string {
  const comma = name.indexOf(',');
  return comma === -1 ? name : name.slice(0, comma);
}
