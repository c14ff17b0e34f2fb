/**
 * Text and the numbers in it, apart: `lr=0.05,d=-3` is `lr=`, 0.05, `,d=`, −3. A minus is a sign
 * only where a number may start (after `=`, `,`, `:`, a space or a bracket, or first), so
 * `trial-0002` stays `trial-` and 2.
 */
export function naturalParts(text: string): (string | number)[] {
  const parts: (string | number)[] = [];
  for (const [token] of text.matchAll(/\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|\D+/g)) {
    const before = parts.at(-1);
    if (/^\d/.test(token)) {
      const signed = typeof before === 'string' && /(^|[=,:;\s([{])-$/.test(before);
      if (signed) parts[parts.length - 1] = before.slice(0, -1);
      parts.push(signed ? -Number(token) : Number(token));
    } else parts.push(token);
  }
  return parts;
}

/** Parts of the strings sorted lately: a sort of 10,000 names splits each once, not at each comparison. */
const cache = new Map<string, (string | number)[]>();

function partsOf(text: string): (string | number)[] {
  let parts = cache.get(text);
  if (!parts) {
    if (cache.size > 100_000) cache.clear();
    parts = naturalParts(text);
    cache.set(text, parts);
  }
  return parts;
}

/** Names and values as people order them: `lr=0.05` before `lr=0.2`, `0.01` before `0.1`, `x2` before `x10`. */
export function naturalCompare(a: string, b: string): number {
  const x = partsOf(a);
  const y = partsOf(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const [p, q] = [x[i]!, y[i]!];
    const order = typeof p === 'number' && typeof q === 'number' ? p - q : String(p).localeCompare(String(q));
    if (order !== 0) return order;
  }
  return x.length - y.length || a.localeCompare(b);
}
