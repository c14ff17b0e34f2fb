import { readFileSync, type Stats } from 'node:fs';
import { writeJsonAtomic } from '../files/atomic-file.js';

/** A file as last hashed: what says it has not changed since, and its hash. */
interface Hashed {
  readonly key: string;
  readonly sha256: string;
}

/**
 * Leaves files younger than this unremembered: a file written again within the same tick as its
 * stat would look unchanged ("racily clean", as git calls it); it is hashed again next time.
 */
const settledMs = 2000;

/**
 * The SHA-256 of each file of an upload's folder as last hashed, kept between runs in one JSON
 * file, so that a run whose tree did not change reads no file to know it: a file whose size,
 * modification and change times and inode are those recorded has the recorded hash. Only a cache:
 * unreadable, it is empty; unwritable, nothing is lost.
 */
export class HashCache {
  readonly #file: string;
  readonly #known: Map<string, Hashed>;
  readonly #now = new Map<string, Hashed>();

  private constructor(file: string, known: Map<string, Hashed>) {
    this.#file = file;
    this.#known = known;
  }

  static read(file: string): HashCache {
    try {
      const data = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Hashed>;
      const known = new Map(
        Object.entries(data).filter(([, v]) => v !== null && typeof v === 'object' && typeof v.key === 'string' && /^[0-9a-f]{64}$/.test(v.sha256)),
      );
      return new HashCache(file, known);
    } catch {
      return new HashCache(file, new Map());
    }
  }

  /** The recorded hash of `path`, if its `stat` is the one recorded. */
  get(path: string, stat: Stats): string | undefined {
    const seen = this.#known.get(path);
    return seen && seen.key === keyOf(stat) ? seen.sha256 : undefined;
  }

  /** Remembers the hash of `path` as of `stat`, unless the file changed too recently to trust its times. */
  set(path: string, stat: Stats, sha256: string): void {
    if (Date.now() - Math.max(stat.mtimeMs, stat.ctimeMs) < settledMs) return;
    this.#now.set(path, { key: keyOf(stat), sha256 });
  }

  /** Writes what this snapshot saw (files gone since are forgotten); a failure only costs the next run a read. */
  save(): void {
    try {
      writeJsonAtomic(this.#file, Object.fromEntries(this.#now));
    } catch {
      // Only a cache.
    }
  }
}

function keyOf(stat: Stats): string {
  return `${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}:${stat.ino}`;
}
