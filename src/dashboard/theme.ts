import type { JobInfo } from '../wire/protocol.js';

/*
 * Colours, read from the stylesheet's variables so that the charts follow the light or dark
 * scheme the reader's system asks for.
 */

export type Status = JobInfo['status'];

export const statuses: readonly Status[] = ['succeed', 'failed', 'killed', 'pruned', 'running', 'init'];

/** Colours read from the stylesheet so far; read again when the scheme changes. */
const read = new Map<string, string>();
matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => read.clear());

/** A colour the stylesheet defines, e.g. `--fg` (read once: a chart of 10,000 marks asks often). */
export function cssColor(name: string): string {
  let color = read.get(name);
  if (color === undefined) {
    color = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    read.set(name, color);
  }
  return color;
}

export function statusColor(status: Status): string {
  return cssColor(`--st-${status}`);
}

/** Stops of a perceptually even ramp (viridis, sampled): worse values dark blue, better ones yellow. */
const stops = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
] as const;

/** Steps of the ramp: marks are drawn in batches of one colour each, one step apart. */
export const rampSteps = 32;

/** The ramp's colour at step `k` of {@link rampSteps}. */
export function ramp(k: number): string {
  const x = (Math.min(rampSteps - 1, Math.max(0, k)) / (rampSteps - 1)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [stops[i]!, stops[i + 1]!];
  const c = a.map((v, k) => Math.round(v + (b[k]! - v) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** Colours told apart at a glance, for lines drawn together (Tableau's ten). */
export const palette = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
