/** Why a search proposes no more trials, each reason with what it says. */
export type SearchStop =
  | { readonly kind: 'max-trials'; readonly maxTrials: number }
  | { readonly kind: 'target'; readonly target: number; readonly trial: number; readonly metric: string | undefined; readonly value: number }
  | { readonly kind: 'max-duration'; readonly ms: number }
  /** A finite space with no untried point left. */
  | { readonly kind: 'exhausted' }
  /** The user's sampler answered stop. */
  | { readonly kind: 'sampler-stopped'; readonly why: string }
  /** The user's sampler failed (`E_SAMPLER`): the search did not do its work. */
  | { readonly kind: 'sampler-failed'; readonly message: string }
  /** Its trials do not report the metric it learns from: it did not do its work. */
  | { readonly kind: 'unreported'; readonly reason: string };

/** Whether a search that stopped so did what it was asked: not when its sampler failed or its trials told it nothing. */
export function searchDidItsWork(stop: SearchStop | undefined): boolean {
  return stop?.kind !== 'sampler-failed' && stop?.kind !== 'unreported';
}

/** How a result says it (`SearchResult.stoppedBecause`). */
export function describeSearchStop(stop: SearchStop): string {
  switch (stop.kind) {
    case 'max-trials':
      return `max_trials reached (${stop.maxTrials})`;
    case 'target':
      return `target ${stop.target} reached by trial ${stop.trial} (${stop.metric} = ${stop.value})`;
    case 'max-duration':
      return `max_duration reached (${stop.ms / 1000} s)`;
    case 'exhausted':
      return 'every point of the space was tried';
    case 'sampler-stopped':
      return `the sampler stopped: ${stop.why}`;
    case 'sampler-failed':
      return stop.message;
    case 'unreported':
      return stop.reason;
  }
}
