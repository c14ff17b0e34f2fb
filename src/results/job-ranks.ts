import type { JobStatus } from '../batch/types.js';
import { trialOfJob } from '../search/trial-names.js';
import { lossesOf, paretoRanks } from './pareto.js';

/** A job as ranking reads it: its batch (of several), name, status and metrics. */
interface RankedJob {
  readonly batch?: string;
  readonly name: string;
  readonly status: JobStatus;
  readonly metrics?: Readonly<Record<string, number | string>> | null;
}

/**
 * Each job's trial's Pareto rank over `objectives` (1: on the front), as a search judges its
 * trials: a trial's values are the means over its jobs (those of one batch whose names share the
 * trial's), and a trial is ranked when every job succeeded with a number for each objective.
 * Jobs of trials not ranked are not in the map. The one rule for `batch compare` and the dashboard.
 */
export function paretoRanksOf<J extends RankedJob>(
  jobs: Iterable<J>,
  objectives: readonly { readonly metric: string; readonly goal: 'min' | 'max' }[],
): Map<J, number> {
  const trials = new Map<string, { jobs: J[]; sums: number[]; ok: boolean }>();
  for (const job of jobs) {
    const key = `${job.batch ?? ''}\u0000${trialOfJob(job.name)}`;
    const trial = trials.get(key) ?? { jobs: [], sums: objectives.map(() => 0), ok: true };
    trials.set(key, trial);
    trial.jobs.push(job);
    objectives.forEach(({ metric }, i) => {
      const value = job.metrics?.[metric];
      if (job.status !== 'succeed' || typeof value !== 'number' || !Number.isFinite(value)) trial.ok = false;
      else trial.sums[i]! += value;
    });
  }
  const valued = [...trials.values()].filter((trial) => trial.ok);
  const ranks = paretoRanks(valued.map(({ sums, jobs: own }) => lossesOf(sums, objectives).map((sum) => sum / own.length)));
  const out = new Map<J, number>();
  valued.forEach((trial, i) => {
    for (const job of trial.jobs) out.set(job, ranks[i]!);
  });
  return out;
}
