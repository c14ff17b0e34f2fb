/**
 * Pareto dominance over loss vectors: every objective turned so that lower is better (a `max`
 * objective's values negated), so one rule serves every mix of goals.
 */

/** Values of objectives as losses, lower better in each: a `max` objective's negated (and back: it is its own inverse). */
export function lossesOf(values: readonly number[], objectives: readonly { readonly goal: 'min' | 'max' }[]): number[] {
  return values.map((value, i) => (objectives[i]!.goal === 'min' ? value : -value));
}

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
 * those are set aside, and so on. The vectors are taken in lexicographic order, so that any that
 * dominates one comes before it, and each is placed in the first front none of whose members
 * dominates it, found by binary search (if a front dominates it, so does every front before:
 * Zhang et al.'s efficient non-dominated sort). Two objectives need only each front's last
 * member looked at; more look at a front's members, which stays far from the pairwise sort's
 * n² at 10,000 trials.
 */
export function paretoRanks(losses: readonly (readonly number[])[]): number[] {
  const order = losses.map((_, i) => i).sort((a, b) => lexicographic(losses[a]!, losses[b]!));
  const ranks = new Array<number>(losses.length);
  const fronts: number[][] = [];
  const two = losses[0]?.length === 2;
  // Whether a member of front k dominates the vector: in two objectives its last member is the one to ask.
  const dominatedIn = (k: number, loss: readonly number[]) =>
    two ? dominates(losses[fronts[k]!.at(-1)!]!, loss) : fronts[k]!.some((member) => dominates(losses[member]!, loss));
  for (const i of order) {
    let low = 0;
    let high = fronts.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (dominatedIn(mid, losses[i]!)) low = mid + 1;
      else high = mid;
    }
    ranks[i] = low + 1;
    if (low === fronts.length) fronts.push([i]);
    else fronts[low]!.push(i);
  }
  return ranks;
}

function lexicographic(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/**
 * The first fronts, best first, until they hold at least `count` vectors (or every one): each the
 * vectors none of those left dominates, as places in `losses`. What a split into good and bad
 * trials needs, without ranking every trial: with three or four objectives the first front alone
 * often holds enough.
 */
export function leadingFronts(losses: readonly (readonly number[])[], count: number): number[][] {
  const fronts: number[][] = [];
  let left = losses.map((_, i) => i);
  let taken = 0;
  while (taken < count && left.length > 0) {
    const front = nonDominated(losses, left);
    const on = new Set(front);
    fronts.push(front);
    taken += front.length;
    left = left.filter((i) => !on.has(i));
  }
  return fronts;
}

/**
 * Of the vectors at `places`, those no other of them dominates, in the order given. Looked at in
 * lexicographic order, a vector can dominate none before it: each is only checked against those
 * kept so far (in two objectives, against the last), and none kept is ever dropped.
 */
function nonDominated(losses: readonly (readonly number[])[], places: readonly number[]): number[] {
  const kept: number[] = [];
  // In two objectives the last kept has the least second value: if any kept beats a vector, it does.
  const two = losses[places[0]!]?.length === 2;
  for (const i of [...places].sort((a, b) => lexicographic(losses[a]!, losses[b]!))) {
    const loss = losses[i]!;
    let beaten = two && kept.length > 0 && dominates(losses[kept.at(-1)!]!, loss);
    for (let k = 0; !two && k < kept.length && !beaten; k++) beaten = dominates(losses[kept[k]!]!, loss);
    if (!beaten) kept.push(i);
  }
  const order = new Map(places.map((place, at) => [place, at]));
  return kept.sort((a, b) => order.get(a)! - order.get(b)!);
}

/**
 * The hypervolume the vectors dominate up to `reference` (every objective lower is better; vectors
 * not below the reference in every objective add nothing), for two objectives or more: two by a
 * sweep; more by slicing along the last objective down to two (exact, for the small sets it is
 * asked of).
 */
export function hypervolume(losses: readonly (readonly number[])[], reference: readonly number[]): number {
  const inside = losses.filter((loss) => loss.every((value, i) => value < reference[i]!));
  if (inside.length === 0) return 0;
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
  // A loop, not a spread: a front of tens of thousands of trials is too many arguments.
  const worst = losses.reduce((most, loss) => most.map((value, i) => Math.max(value, loss[i]!)), [...losses[0]!]);
  return worst.map((value) => (value === 0 ? Number.EPSILON : Math.max(1.1 * value, 0.9 * value)));
}

/**
 * `k` of the vectors chosen greedily for the hypervolume they add (the subset selection MOTPE
 * makes within the rank that does not fit whole): each step takes the one that adds the most to
 * those taken, the earlier on a tie. A vector adds no more once others are taken (hypervolume is
 * submodular), so a gain measured before bounds it now: only the leaders are measured again. A
 * gain is the vector's own box less the volume the taken ones cover of it, which is the
 * hypervolume of a few vectors, fewer still once those the others cover are dropped.
 * Returns their places in `losses`.
 */
export function greatestVolumeSubset(losses: readonly (readonly number[])[], k: number, reference: readonly number[]): number[] {
  const chosen: number[] = [];
  const taken: (readonly number[])[] = [];
  const box = (loss: readonly number[]) => loss.reduce((volume, value, i) => volume * Math.max(0, reference[i]! - value), 1);
  const gainOf = (loss: readonly number[]) => {
    // The part of this vector's box the taken ones cover: their corners pushed up to it.
    const limited = taken.map((other) => other.map((value, i) => Math.max(value, loss[i]!)));
    const covering = nonDominated(limited, [...limited.keys()]).map((i) => limited[i]!);
    return box(loss) - hypervolume(covering, reference);
  };
  // Each one's bound on its gain and how many were taken when it was measured, the largest bound first (the earlier on a tie).
  const queue = new MaxHeap<{ readonly i: number; gain: number; at: number }>((a, b) => a.gain - b.gain || b.i - a.i);
  for (const [i, loss] of losses.entries()) queue.push({ i, gain: box(loss), at: 0 });
  while (chosen.length < k && queue.size > 0) {
    const leader = queue.pop()!;
    if (leader.at === chosen.length) {
      chosen.push(leader.i);
      taken.push(losses[leader.i]!);
      continue;
    }
    leader.gain = gainOf(losses[leader.i]!);
    leader.at = chosen.length;
    queue.push(leader);
  }
  return chosen;
}

/** A binary heap: the greatest item by `order` first. */
class MaxHeap<T> {
  readonly #items: T[] = [];
  readonly #order: (a: T, b: T) => number;

  constructor(order: (a: T, b: T) => number) {
    this.#order = order;
  }

  get size(): number {
    return this.#items.length;
  }

  push(item: T): void {
    const items = this.#items;
    items.push(item);
    for (let at = items.length - 1; at > 0; ) {
      const parent = (at - 1) >> 1;
      if (this.#order(items[at]!, items[parent]!) <= 0) break;
      [items[at], items[parent]] = [items[parent]!, items[at]!];
      at = parent;
    }
  }

  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      for (let at = 0; ; ) {
        const [left, right] = [2 * at + 1, 2 * at + 2];
        let largest = at;
        if (left < items.length && this.#order(items[left]!, items[largest]!) > 0) largest = left;
        if (right < items.length && this.#order(items[right]!, items[largest]!) > 0) largest = right;
        if (largest === at) break;
        [items[at], items[largest]] = [items[largest]!, items[at]!];
        at = largest;
      }
    }
    return top;
  }
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
