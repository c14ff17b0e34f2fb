/**
 * Pareto dominance over loss vectors: every objective turned so that lower is better (a `max`
 * objective's values negated), so one rule serves every mix of goals.
 */

/** Whether `a` is no worse than `b` in every objective and better in one. */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
  let better = false;
  for (let i = 0; i < a.length; i++) {
    if (a[i]! > b[i]!) return false;
    if (a[i]! < b[i]!) better = true;
  }
  return better;
}

/**
 * Each vector's non-domination rank, 1 for the front (dominated by none), 2 for the front once
 * those are set aside, and so on. Two objectives take a sweep in the order of the first, each
 * vector placed by binary search on the fronts' last second values (n log n); more take the
 * pairwise sort (Deb et al., 2002), which is quadratic but meets only 3–4 objectives.
 */
export function paretoRanks(losses: readonly (readonly number[])[]): number[] {
  if (losses.length === 0) return [];
  return losses[0]!.length === 2 ? ranks2d(losses) : ranksPairwise(losses);
}

function ranks2d(losses: readonly (readonly number[])[]): number[] {
  const order = losses.map((_, i) => i).sort((a, b) => losses[a]![0]! - losses[b]![0]! || losses[a]![1]! - losses[b]![1]!);
  const ranks = new Array<number>(losses.length);
  // fronts[k]: the last vector placed in front k+1 (the smallest second value there so far).
  const fronts: number[] = [];
  for (const i of order) {
    const [x, y] = losses[i] as [number, number];
    // The first front whose last vector does not dominate this one.
    let low = 0;
    let high = fronts.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      const last = losses[fronts[mid]!]!;
      if (dominates(last, [x, y])) low = mid + 1;
      else high = mid;
    }
    ranks[i] = low + 1;
    fronts[low] = i;
  }
  return ranks;
}

function ranksPairwise(losses: readonly (readonly number[])[]): number[] {
  const n = losses.length;
  const dominatedBy = new Array<number>(n).fill(0);
  const dominating: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      if (dominates(losses[i]!, losses[j]!)) {
        dominating[i]!.push(j);
        dominatedBy[j]!++;
      } else if (dominates(losses[j]!, losses[i]!)) {
        dominating[j]!.push(i);
        dominatedBy[i]!++;
      }
    }
  const ranks = new Array<number>(n);
  let current = losses.map((_, i) => i).filter((i) => dominatedBy[i] === 0);
  for (let rank = 1; current.length > 0; rank++) {
    const next: number[] = [];
    for (const i of current) {
      ranks[i] = rank;
      for (const j of dominating[i]!) if (--dominatedBy[j]! === 0) next.push(j);
    }
    current = next;
  }
  return ranks;
}

/**
 * The hypervolume the vectors dominate up to `reference` (every objective lower is better; vectors
 * not below the reference in every objective add nothing). Two objectives by a sweep; more by
 * slicing along the last objective (exact, for the small sets it is asked of).
 */
export function hypervolume(losses: readonly (readonly number[])[], reference: readonly number[]): number {
  const inside = losses.filter((loss) => loss.every((value, i) => value < reference[i]!));
  if (inside.length === 0) return 0;
  if (reference.length === 1) return reference[0]! - Math.min(...inside.map((loss) => loss[0]!));
  if (reference.length === 2) {
    const sorted = [...inside].sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
    let volume = 0;
    let ceiling = reference[1]!;
    for (const [x, y] of sorted as [number, number][]) {
      if (y >= ceiling) continue;
      volume += (reference[0]! - x) * (ceiling - y);
      ceiling = y;
    }
    return volume;
  }
  const last = reference.length - 1;
  const sorted = [...inside].sort((a, b) => a[last]! - b[last]!);
  let volume = 0;
  for (let k = 0; k < sorted.length; k++) {
    const top = k + 1 < sorted.length ? sorted[k + 1]![last]! : reference[last]!;
    const depth = top - sorted[k]![last]!;
    if (depth > 0)
      volume +=
        depth *
        hypervolume(
          sorted.slice(0, k + 1).map((loss) => loss.slice(0, last)),
          reference.slice(0, last),
        );
  }
  return volume;
}

/** A reference point just beyond the worst of `losses` in each objective (Optuna's rule: the worst, widened by a tenth of itself). */
export function referenceBeyond(losses: readonly (readonly number[])[]): number[] {
  const worst = losses[0]!.map((_, i) => Math.max(...losses.map((loss) => loss[i]!)));
  return worst.map((value) => (value === 0 ? Number.EPSILON : Math.max(1.1 * value, 0.9 * value)));
}

/**
 * `k` of the vectors chosen greedily for the hypervolume they add (the subset selection MOTPE
 * makes within the rank that does not fit whole): each step takes the one that adds the most to
 * those taken, the earlier on a tie. A vector adds no more once others are taken (hypervolume is
 * submodular), so a gain measured before bounds it now: only the leaders are measured again.
 * Returns their places in `losses`.
 */
export function greatestVolumeSubset(losses: readonly (readonly number[])[], k: number, reference: readonly number[]): number[] {
  const chosen: number[] = [];
  const taken: (readonly number[])[] = [];
  let volume = 0;
  // Bounds on each one's gain, and how many were taken when each was measured.
  const bound = losses.map((loss) => hypervolume([loss], reference));
  const measuredAt = losses.map(() => 0);
  const left = new Set(losses.keys());
  while (chosen.length < k && left.size > 0) {
    for (;;) {
      let leader = -1;
      for (const i of left) if (leader === -1 || bound[i]! > bound[leader]!) leader = i;
      if (measuredAt[leader] === chosen.length) {
        chosen.push(leader);
        taken.push(losses[leader]!);
        left.delete(leader);
        // Measured again, not summed: rounding would otherwise rank a vector that adds nothing above one that adds little.
        volume = hypervolume(taken, reference);
        break;
      }
      bound[leader] = hypervolume([...taken, losses[leader]!], reference) - volume;
      measuredAt[leader] = chosen.length;
    }
  }
  return chosen;
}

/**
 * The items no other beats in every objective, kept as items are offered one at a time: each offer
 * costs the front's size, not the number offered. Equal vectors are both kept (neither dominates).
 */
export class ParetoFront<T> {
  #members: { readonly item: T; readonly loss: readonly number[]; readonly order: number }[] = [];

  /** Takes `item` in when nothing kept dominates it, dropping those it dominates; `order` places it among the items. */
  offer(item: T, loss: readonly number[], order: number): void {
    if (this.#members.some((member) => dominates(member.loss, loss))) return;
    this.#members = this.#members.filter((member) => !dominates(loss, member.loss));
    this.#members.push({ item, loss, order });
  }

  /** The front's items by their order, whatever order they were offered in. */
  items(): T[] {
    return [...this.#members].sort((a, b) => a.order - b.order).map(({ item }) => item);
  }
}
