import { HyperctlError } from '../errors.js';

/** Edit distance between two names (insertions, deletions, substitutions), in O(|a|·|b|). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * What to say after "no X named `name`": every candidate when there are few, else the ones closest
 * to it (a typo, a case slip, a part of it), so that a batch of 10,000 jobs does not print them all.
 */
export function closestNames(name: string, candidates: Iterable<string>, what: string, few = 8): string {
  const all = [...candidates];
  if (all.length === 0) return `; there are no ${what}`;
  if (all.length <= few) return `; the ${what} are ${all.join(', ')}`;
  const lower = name.toLowerCase();
  const scored = all
    .map((candidate) => {
      const other = candidate.toLowerCase();
      // A name that contains what was typed (a part of it remembered) is as good as a small typo.
      const score = other.includes(lower) ? 1 : editDistance(lower, other);
      return { candidate, score };
    })
    .filter(({ candidate, score }) => score <= Math.max(2, Math.floor(Math.min(name.length, candidate.length) / 3)))
    .sort((a, b) => a.score - b.score || a.candidate.localeCompare(b.candidate))
    .slice(0, 5);
  return scored.length > 0
    ? `; did you mean ${scored.map((s) => s.candidate).join(', ')}? (${all.length} ${what} in all)`
    : `; none of its ${all.length} ${what} is close`;
}

/**
 * The candidate closest to a mistyped name (`paralelism` → `parallelism`), when one is within a
 * typo of it (a quarter of its letters, at least one), else undefined: for "did you mean" messages.
 * @public
 */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  const lower = name.toLowerCase();
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance <= Math.max(1, Math.floor(candidate.length / 4)) && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

/** `E_JOB_NOT_FOUND`, naming the jobs closest to the one asked for. */
export function unknownJob(batch: string, job: string, jobs: readonly { readonly name: string }[]): HyperctlError {
  return new HyperctlError(
    'E_JOB_NOT_FOUND',
    `batch "${batch}" has no job "${job}"${closestNames(
      job,
      jobs.map((j) => j.name),
      'jobs',
    )}`,
  );
}
