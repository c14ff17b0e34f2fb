import { describe, expect, it } from 'vitest';
import type { EarlyStopping } from '../../src/batch/spec.js';
import { Pruner, rungsUpTo } from '../../src/search/pruning.js';

const rule = (more: Partial<EarlyStopping>): EarlyStopping => ({
  rule: 'asha',
  metric: 'loss',
  goal: 'min',
  minSteps: 1,
  reductionFactor: 3,
  minTrials: 3,
  ...more,
});

describe('ASHA', () => {
  it('places rungs at min_steps · η^k', () => {
    expect(rungsUpTo(2, 3, 60)).toEqual([2, 6, 18, 54]);
  });

  it('stops a trial outside the best 1/η of the values recorded at a rung, saying where and why', () => {
    const pruner = new Pruner(rule({ minSteps: 2 }));
    expect(pruner.report('a', 1, 0.9)).toBeUndefined(); // before the grace
    expect(pruner.report('a', 2, 0.3)).toBeUndefined(); // first at rung 2
    expect(pruner.report('b', 2, 0.2)).toBeUndefined();
    expect(pruner.report('c', 2, 0.25)).toEqual({
      step: 2,
      value: 0.25,
      cutoff: expect.closeTo(0.2333, 3),
      reason: 'pruned by asha at step 2: loss 0.25 > rung cutoff 0.2333 (rung 2: the best 1/3 of the 2 trials that reached it before)',
    });
    // A stopped trial's later reports change nothing; the others go on to the next rung.
    expect(pruner.report('c', 6, 0.01)).toBeUndefined();
    expect(pruner.report('b', 6, 0.1)).toBeUndefined();
    expect(pruner.report('a', 6, 0.15)?.reason).toMatch(/^pruned by asha at step 6: loss 0\.15 > rung cutoff 0\.1 \(rung 6/);
  });

  it('compares each trial on its best value so far, for either goal', () => {
    const pruner = new Pruner(rule({ goal: 'max', metric: 'acc' }));
    pruner.report('a', 1, 0.8);
    expect(pruner.report('b', 1, 0.9)).toBeUndefined();
    // Higher is better: 0.5 is outside the best third of 0.8 and 0.9.
    expect(pruner.report('c', 1, 0.5)?.reason).toMatch(/^pruned by asha at step 1: acc 0\.5 < rung cutoff 0\.8667/);
    // At the next rung a trial is judged on its best so far, not its last report.
    pruner.report('b', 3, 0.7);
    expect(pruner.report('a', 3, 0.6)?.reason).toMatch(/^pruned by asha at step 3: acc 0\.8 < rung cutoff 0\.9 /);
  });
});

describe('the median rule', () => {
  it("stops a trial whose best so far is worse than the median of the others' at the same step, once enough reached it", () => {
    const pruner = new Pruner(rule({ rule: 'median', minTrials: 2, minSteps: 2 }));
    for (const [trial, values] of [
      ['a', [0.9, 0.5, 0.3]],
      ['b', [0.8, 0.6, 0.4]],
    ] as const)
      values.forEach((v, i) => {
        expect(pruner.report(trial, i + 1, v)).toBeUndefined();
      });
    expect(pruner.report('c', 1, 5)).toBeUndefined(); // grace
    expect(pruner.report('c', 2, 0.52)).toBeUndefined(); // better than the median of 0.5 and 0.6
    expect(pruner.report('d', 2, 0.58)).toEqual({
      step: 2,
      value: 0.58,
      cutoff: 0.52,
      reason: 'pruned by the median rule at step 2: best loss 0.58 > median 0.52 of 3 other trials',
    });
  });
});

describe('deciding', () => {
  it('replays: the same reports in the same order give the same decisions', () => {
    const reports = Array.from({ length: 200 }, (_, i) => [`t${i % 9}`, Math.floor(i / 9) + 1, Math.sin(i) + (i % 9) / 10] as const);
    const decide = (r: EarlyStopping) => {
      const pruner = new Pruner(r);
      return reports.map(([t, s, v]) => pruner.report(t, s, v)?.reason);
    };
    for (const r of [rule({}), rule({ rule: 'median' })]) expect(decide(r)).toEqual(decide(r));
  });

  it('on learning curves, ASHA runs far fewer steps than the grid and keeps the best trial', () => {
    // 27 trials, 30 steps; each curve decays to its own floor, with noise, so rankings mostly show early.
    const trials = Array.from({ length: 27 }, (_, i) => ({ name: `t${i}`, floor: ((i * 7) % 27) / 27, speed: 0.1 + ((i * 5) % 9) / 30 }));
    const curve = (t: (typeof trials)[number], s: number) => t.floor + Math.exp(-t.speed * s) + 0.02 * Math.sin(s * (t.floor + 1) * 7);
    const pruner = new Pruner(rule({ minSteps: 1, reductionFactor: 3 }));
    const stopped = new Set<string>();
    let steps = 0;
    // In parallel: every running trial reports step s before any reports s + 1.
    for (let s = 1; s <= 30; s++)
      for (const t of trials) {
        if (stopped.has(t.name)) continue;
        steps++;
        if (pruner.report(t.name, s, curve(t, s))) stopped.add(t.name);
      }
    const best = trials.reduce((a, b) => (curve(a, 30) < curve(b, 30) ? a : b));
    expect(stopped.has(best.name)).toBe(false);
    expect(steps / (27 * 30)).toBeLessThan(0.4);
  });
});

/** The rules as written first: every decision from every curve, read whole at each report. */
class PlainPruner {
  readonly #rule: EarlyStopping;
  readonly #curves = new Map<string, { steps: number[]; best: number[] }>();
  readonly #rungs = new Map<number, Map<string, number>>();
  readonly #stopped = new Set<string>();
  constructor(rule: EarlyStopping) {
    this.#rule = rule;
  }
  restart(trial: string): void {
    this.#curves.delete(trial);
    this.#stopped.delete(trial);
    for (const recorded of this.#rungs.values()) recorded.delete(trial);
  }
  report(trial: string, step: number, value: number): number | undefined {
    if (!Number.isFinite(value) || this.#stopped.has(trial)) return undefined;
    const curve = this.#curves.get(trial) ?? { steps: [], best: [] };
    this.#curves.set(trial, curve);
    if (curve.steps.length > 0 && step < curve.steps.at(-1)!) {
      curve.steps.length = 0;
      curve.best.length = 0;
    }
    const loss = this.#rule.goal === 'min' ? value : -value;
    const best = curve.best.length > 0 ? Math.min(curve.best.at(-1)!, loss) : loss;
    curve.steps.push(step);
    curve.best.push(best);
    if (step < this.#rule.minSteps) return undefined;
    let cutoff: number | undefined;
    if (this.#rule.rule === 'median') {
      const others = [...this.#curves]
        .filter(([other]) => other !== trial)
        .flatMap(([, c]) => {
          if (c.steps.at(-1)! < step) return [];
          const i = c.steps.findLastIndex((s) => s <= step);
          return i < 0 ? [] : [c.best[i]!];
        });
      if (others.length < Math.max(1, this.#rule.minTrials)) return undefined;
      cutoff = plainQuantile(others, 0.5);
    } else {
      const rung = rungsUpTo(this.#rule.minSteps, this.#rule.reductionFactor, step).at(-1);
      if (rung === undefined) return undefined;
      const recorded = this.#rungs.get(rung) ?? new Map<string, number>();
      this.#rungs.set(rung, recorded);
      if (recorded.has(trial)) return undefined;
      cutoff = recorded.size > 0 ? plainQuantile([...recorded.values()], 1 / this.#rule.reductionFactor) : undefined;
      recorded.set(trial, best);
    }
    if (cutoff === undefined || best <= cutoff) return undefined;
    this.#stopped.add(trial);
    // As a decision shows it: the metric's value, to 4 significant digits.
    return Number((this.#rule.goal === 'min' ? cutoff : -cutoff).toPrecision(4));
  }
}

function plainQuantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = q * (sorted.length - 1);
  return sorted[Math.floor(at)]! + (sorted[Math.ceil(at)]! - sorted[Math.floor(at)]!) * (at - Math.floor(at));
}

describe('the rules at scale', () => {
  it('decide exactly as reading every curve at each report does, whatever the order, skips, restarts and repeats (2,000 random runs)', () => {
    let seed = 5;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return Math.floor(seed / 65536) % n;
    };
    for (let round = 0; round < 2000; round++) {
      const r = rule({ rule: random(2) === 0 ? 'median' : 'asha', minSteps: 1 + random(2), minTrials: 1 + random(3), goal: random(2) === 0 ? 'min' : 'max' });
      const fast = new Pruner(r);
      const plain = new PlainPruner(r);
      const next = new Map<string, number>();
      const log: string[] = [];
      for (let i = 0, n = 5 + random(60); i < n; i++) {
        const trial = `t${random(6)}`;
        if (random(25) === 0) {
          fast.restart(trial);
          plain.restart(trial);
          next.delete(trial);
          log.push(`restart ${trial}`);
          continue;
        }
        // Mostly the next step; at times one skipped, the same again, or an earlier one (a job run anew).
        const at = next.get(trial) ?? 1;
        const kind = random(12);
        const step = kind === 0 ? at + 1 : kind === 1 ? Math.max(1, at - 1) : kind === 2 ? 1 : at;
        next.set(trial, step + 1);
        const value = random(8) / 4;
        log.push(`${trial} ${step} ${value}`);
        expect(fast.report(trial, step, value)?.cutoff, log.join('; ')).toBe(plain.report(trial, step, value));
      }
    }
  });
});
