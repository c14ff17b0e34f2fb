/** Colours for a stream, or plain text when it is not a terminal or `NO_COLOR` is set. */
export interface Style {
  readonly green: (s: string) => string;
  readonly red: (s: string) => string;
  readonly yellow: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly bold: (s: string) => string;
}

export function styleFor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): Style {
  const on = Boolean(stream.isTTY) && !env.NO_COLOR && env.TERM !== 'dumb';
  const wrap = (open: number, close: number) => (s: string) => (on ? `\u001b[${open}m${s}\u001b[${close}m` : s);
  return { green: wrap(32, 39), red: wrap(31, 39), yellow: wrap(33, 39), dim: wrap(2, 22), bold: wrap(1, 22) };
}

/** `1.2s`, `42.0s`, `3m05s`, `1h02m`: seconds under a minute, never `0m42s` beside `9.3s`. */
export function formatDuration(ms: number): string {
  if (ms < 59_950) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** An ISO time as this machine's local time, `2026-12-07 03:28:52`, as every view shows a time. */
export function localTime(iso: string): string {
  const at = new Date(iso);
  // The Swedish locale writes a local time as ISO 8601 does, without the zone.
  return Number.isNaN(at.getTime()) ? iso : at.toLocaleString('sv-SE');
}

/**
 * A number as people read it: at most 6 significant digits, no floating-point noise
 * (`0.08000000000000002` → `0.08`), exponents only for the very large and very small.
 */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n) || Number.isInteger(n)) return String(n);
  const size = Math.abs(n);
  if (size >= 1e9 || size < 1e-4) return n.toExponential(4).replace(/\.?0+e/, 'e');
  return String(Number(n.toPrecision(6)));
}
