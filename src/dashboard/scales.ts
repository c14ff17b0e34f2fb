/*
 * Axes for the charts: where a value goes on a linear or log scale, ticks at round numbers, and
 * the range that leaves a few far-off values out instead of squashing the rest.
 */

/** A numeric axis: values to positions in [0, 1]. */
export interface Scale {
  readonly log: boolean;
  readonly low: number;
  readonly high: number;
  /** A value's position, 0 at `low`, 1 at `high` (outside for values beyond). */
  at(value: number): number;
  /** The value at a position. */
  valueAt(position: number): number;
  /** Round values within the range to label the axis with. */
  ticks(): number[];
}

/** Ticks at 1, 2 or 5 × 10ᵏ, about `count` of them, within [low, high]. */
export function niceTicks(low: number, high: number, count = 5): number[] {
  if (!(high > low)) return [low];
  const power = 10 ** Math.floor(Math.log10((high - low) / count));
  // Of the round steps near the rough one, the one giving the count closest to that asked for.
  const tickCount = (s: number) => Math.floor(high / s) - Math.ceil(low / s) + 1;
  const step = [0.5, 1, 2, 5, 10].map((m) => m * power).reduce((best, s) => (Math.abs(tickCount(s) - count) < Math.abs(tickCount(best) - count) ? s : best));
  const ticks: number[] = [];
  for (let i = Math.ceil(low / step); i * step <= high + step * 1e-9; i++) ticks.push(+(i * step).toPrecision(12));
  return ticks;
}

/** Ticks at powers of ten within [low, high]; over two decades or less, at 1, 2 and 5 of each. */
export function logTicks(low: number, high: number): number[] {
  const [from, to] = [Math.floor(Math.log10(low)), Math.ceil(Math.log10(high))];
  const multiples = Math.log10(high / low) <= 2 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let k = from; k <= to; k++) for (const m of multiples) ticks.push(+(m * 10 ** k).toPrecision(12));
  const inside = ticks.filter((t) => t >= low * (1 - 1e-9) && t <= high * (1 + 1e-9));
  // Thin a long run of decades to about eight labels.
  const every = Math.ceil(inside.length / 8);
  return inside.filter((_, i) => i % every === 0);
}

export function linearScale(low: number, high: number): Scale {
  const [lo, hi] = low === high ? [low - (Math.abs(low) || 1) / 2, high + (Math.abs(high) || 1) / 2] : [low, high];
  return { log: false, low: lo, high: hi, at: (v) => (v - lo) / (hi - lo), valueAt: (p) => lo + p * (hi - lo), ticks: () => niceTicks(lo, hi) };
}

export function logScale(low: number, high: number): Scale {
  const [lo, hi] = low === high ? [low / 2, high * 2] : [low, high];
  const [a, b] = [Math.log(lo), Math.log(hi)];
  return { log: true, low: lo, high: hi, at: (v) => (Math.log(v) - a) / (b - a), valueAt: (p) => Math.exp(a + p * (b - a)), ticks: () => logTicks(lo, hi) };
}

/** Whether values are best seen on a log scale: all positive and spanning two decades or more. */
export function spansDecades(values: readonly number[]): boolean {
  if (values.length < 2 || values.some((v) => !(v > 0))) return false;
  return Math.max(...values) / Math.min(...values) >= 100;
}

/** The value at quantile `q` of sorted values, interpolated. */
function quantile(sorted: readonly number[], q: number): number {
  const i = (sorted.length - 1) * q;
  const [below, above] = [Math.floor(i), Math.ceil(i)];
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (i - below);
}

/**
 * The range an axis shows: every value, unless some lie far outside the rest (beyond three
 * interquartile ranges from the quartiles, on the log of the values for a log scale). Those are
 * left out of the range and counted, so that one diverged run does not flatten the others.
 */
export function shownRange(values: readonly number[], log: boolean): { low: number; high: number; clippedLow: number; clippedHigh: number } {
  const finite = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  if (finite.length === 0) return { low: log ? 1 : 0, high: log ? 10 : 1, clippedLow: 0, clippedHigh: 0 };
  const t = log ? Math.log : (v: number) => v;
  const sorted = finite.map(t).sort((a, b) => a - b);
  const [q1, q3] = [quantile(sorted, 0.25), quantile(sorted, 0.75)];
  const iqr = q3 - q1;
  // With fewer than eight values, or most of them equal, nothing is far from "the rest".
  const [lowFence, highFence] = sorted.length < 8 || iqr === 0 ? [-Infinity, Infinity] : [q1 - 3 * iqr, q3 + 3 * iqr];
  const kept = sorted.filter((v) => v >= lowFence && v <= highFence);
  const back = log ? Math.exp : (v: number) => v;
  return {
    low: back(kept[0]!),
    high: back(kept.at(-1)!),
    clippedLow: sorted.filter((v) => v < lowFence).length,
    clippedHigh: sorted.filter((v) => v > highFence).length,
  };
}

/**
 * A scale for values: log when asked or when they span decades, over the range {@link shownRange}
 * keeps; whole numbers get whole ticks.
 */
export function scaleFor(values: readonly number[], log?: boolean): Scale & { clippedLow: number; clippedHigh: number } {
  const isLog = log ?? spansDecades(values);
  const range = shownRange(values, isLog);
  const scale = isLog ? logScale(range.low, range.high) : linearScale(range.low, range.high);
  const whole = values.every(Number.isInteger);
  return {
    ...scale,
    ...(whole ? { ticks: () => scale.ticks().filter(Number.isInteger) } : {}),
    clippedLow: range.clippedLow,
    clippedHigh: range.clippedHigh,
  };
}

/** A number as a tick or a tooltip shows it: three significant digits, exponents for the very small and large. */
export function formatNumber(value: number): string {
  if (value === 0 || !Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  const rounded = +value.toPrecision(3);
  return magnitude < 1e-3 || magnitude >= 1e6 ? rounded.toExponential().replace('e+', 'e') : String(rounded);
}
