import type { BatchSpec, JobSpec } from '../batch/spec.js';
import type { JobStatus } from '../batch/types.js';
import type { MetricsReport } from '../metrics/metrics-line.js';
import type { JobMetrics } from '../metrics/metrics-tracker.js';
import { BatchState } from '../state/batch-state.js';
import { type JobResult, toJobResult } from '../state/job-result.js';
import type { JobState } from '../state/job-state.js';
import { LiveMetrics } from './live-metrics.js';

/**
 * What a run shows of its batch while it runs, read by the daemon and every view: each job's state
 * and result, its live metrics, the counts. One state, folded from the journal as the run writes it.
 */
export abstract class RunStateView {
  readonly spec: BatchSpec;
  /** Every job's state, folded from the records the run reads and writes. */
  protected readonly state: BatchState;
  protected readonly liveMetrics: LiveMetrics;

  constructor(spec: BatchSpec) {
    this.spec = spec;
    this.state = new BatchState(spec);
    this.liveMetrics = new LiveMetrics(
      (name) => this.state.spec(name)?.dataDir,
      (job, step, values) => this.reported(job, step, values),
    );
  }

  /** A running job reported metrics, read as it made them. */
  protected abstract reported(job: string, step: number, values: Readonly<Record<string, number | string>>): void;

  states(): Iterable<JobState> {
    return this.state.each();
  }

  // Made when asked, from the state: a job's result is not kept beside its state.
  result(job: JobState): JobResult {
    return toJobResult(job, this.state.runStartedAt);
  }

  job(name: string): JobResult | undefined {
    const job = this.state.get(name);
    return job && this.result(job);
  }

  jobSpec(name: string): JobSpec | undefined {
    return this.state.spec(name);
  }

  metrics(name: string): Promise<JobMetrics | undefined> {
    return this.liveMetrics.of(name);
  }

  postMetrics(name: string, report: MetricsReport): Promise<void> {
    return this.liveMetrics.post(name, report);
  }

  counts(): Record<JobStatus, number> & { total: number } {
    return this.state.counts();
  }

  get pausedAt(): number | undefined {
    return this.state.steering.pausedAt;
  }
}
