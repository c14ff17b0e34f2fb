/**
 * A small seeded generator (sfc32, 128 bits of state), seeded by hashing the seed with a stream
 * number: trial k's draws depend only on (seed, k), never on how many numbers earlier trials
 * used, which is what makes a resumed search propose exactly what an uninterrupted one would.
 * Written here because it is a dozen lines; statistical quality is ample for sampling.
 */
export type Random = () => number;

/** 32-bit mix of a number into a running hash (murmur3's finaliser). */
function mix(h: number, value: number): number {
  let k = Math.imul(value | 0, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A uniform draw in [0, 1) for `seed` and the stream numbers given (e.g. the trial's number). */
export function randomFor(seed: number, ...stream: readonly number[]): Random {
  const words = [seed, Math.floor(seed / 2 ** 32), ...stream];
  const state = [0x9e3779b9, 0x243f6a88, 0xb7e15162, 0x12345678].map((salt) => finish(words.reduce(mix, salt)));
  let [a, b, c, d] = state as [number, number, number, number];
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  // The first outputs of a fresh state are the least mixed.
  for (let i = 0; i < 12; i++) next();
  return next;
}

/** A standard normal draw (Box–Muller). */
export function normal(random: Random): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
