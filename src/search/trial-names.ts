/**
 * The name of trial `n`'s job for one combination of the grid axes a search crosses, given as its
 * job-name part (`jobNameFromParams`); none: the trial's own name.
 */
export function trialJobName(n: number, combination?: string): string {
  const base = `trial-${String(n).padStart(4, '0')}`;
  return combination === undefined ? base : `${base},${combination}`;
}

/** The trial a search's job belongs to, from its name: what comes before the grid combination. */
export function trialOfJob(name: string): string {
  const comma = name.indexOf(',');
  return comma === -1 ? name : name.slice(0, comma);
}
