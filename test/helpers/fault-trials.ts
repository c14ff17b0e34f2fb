import { readFileSync } from 'node:fs';

/** Trials of each randomized fault: at least 20, more with `HYPERCTL_FAULT_TRIALS`. */
export const faultTrials = Math.max(20, Number(process.env.HYPERCTL_FAULT_TRIALS ?? 0) || 0);

/**
 * The seed of this run's random instants (`HYPERCTL_FAULT_SEED` replays one), and a generator of
 * numbers in [0, 1) from it (mulberry32): a failure names its seed, so it can be run again exactly.
 */
export function seededRandom(): { seed: number; next: () => number } {
  const seed = Number(process.env.HYPERCTL_FAULT_SEED ?? 0) || Math.floor(Math.random() * 2 ** 31);
  let state = seed;
  return {
    seed,
    next() {
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** One line of `fixtures/side-effect.sh`: a job started (with its pid) or finished, in run `run`. */
export interface SideEffect {
  readonly kind: 'start' | 'done' | 'overlap';
  readonly job: string;
  readonly run: string;
  readonly pid?: number;
}

/** The side effects jobs left in `file`, in order. */
export function readSideEffects(file: string): SideEffect[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [kind, job, run, pid] = line.split(' ');
      return { kind: kind as SideEffect['kind'], job: job!, run: run!, ...(pid ? { pid: Number(pid) } : {}) };
    });
}
