import type { BatchInfo, JobInfo } from '../wire/protocol.js';
import type { Goal } from '../results/objective.js';
import { isPlainObject } from '../plain-object.js';

/*
 * What the page knows: the batch, its jobs, and what the reader chose (sort, filters, brushes,
 * the metric). The views read it and draw; the app changes it and asks them to.
 */

/** A job's reports in order, each with its step. */
export type History = { readonly step: number; readonly values: Readonly<Record<string, number | string>> }[];

export interface Model {
  batch: BatchInfo | null;
  readonly jobs: Map<string, JobInfo>;
  /** Jobs' reports, step by step, as far as the page has them (fetched when a chart needs them, then followed). */
  readonly histories: Map<string, History>;
  selected: string | null;
  sortKey: string;
  sortDesc: boolean;
  /** Columns the reader hid (the name always shows). */
  readonly hidden: Set<string>;
  filter: string;
  status: string;
  /** Parallel coordinates' brushes: axis → whether a job lies within it. */
  readonly brushes: Map<string, (job: JobInfo) => boolean>;
  metric: string;
  goal: Goal;
  /** The table's columns as last drawn. */
  columns: string[];
  /** The rows the table shows, as last drawn: the curves are of the best of them. */
  shownRows: readonly JobInfo[];
  /** Histories asked for and not yet come. */
  readonly fetching: Set<string>;
  /** Another batch of the same folder drawn beside this one (its trials in another mark, its best so far dashed). */
  overlay: { readonly name: string; readonly jobs: readonly JobInfo[] } | null;
  /** A search of several objectives: each ranked job's Pareto rank (1: on the front), as `batch compare` gives it. */
  ranks: ReadonlyMap<string, number>;
  /** What colours the parallel coordinates' lines: the chosen metric, or (several objectives) the Pareto rank. */
  colourBy: 'metric' | 'rank';
}

export const model: Model = {
  overlay: null,
  ranks: new Map(),
  colourBy: 'metric',
  batch: null,
  jobs: new Map(),
  histories: new Map(),
  selected: null,
  sortKey: 'name',
  sortDesc: false,
  hidden: new Set(),
  filter: '',
  status: '',
  brushes: new Map(),
  metric: '',
  goal: 'min',
  columns: [],
  shownRows: [],
  fetching: new Set(),
};

/** Every param's distinct values (as JSON), and how many jobs have it. */
export type ParamValues = Map<string, { values: Set<string>; count: number }>;

/** Each param's {@link ParamValues}, read once per drawing of the page. */
export function paramValues(): ParamValues {
  const seen = new Map<string, { values: Set<string>; count: number }>();
  for (const job of model.jobs.values()) {
    for (const [key, value] of Object.entries(job.params)) {
      const entry = seen.get(key) ?? { values: new Set<string>(), count: 0 };
      seen.set(key, entry);
      entry.values.add(JSON.stringify(value));
      entry.count++;
    }
  }
  return seen;
}

/** Params whose value differs between jobs: a column and an axis each. */
export function varyingParams(values: ParamValues): string[] {
  return [...values].filter(([, entry]) => entry.values.size > 1 || entry.count < model.jobs.size).map(([key]) => key);
}

/** Params every job has with the same value: shown once above the table instead of a column each. */
export function sharedParams(values: ParamValues): string {
  if (model.jobs.size < 2) return '';
  const shared = [...values].filter(([, entry]) => entry.values.size === 1 && entry.count === model.jobs.size);
  if (shared.length === 0) return '';
  return `same for every job: ${shared.map(([key, entry]) => `${key}=${plain(JSON.parse([...entry.values][0]!))}`).join(', ')}`;
}

function plain(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function metricKeys(): string[] {
  const keys = new Set<string>();
  for (const job of model.jobs.values()) for (const key of Object.keys(job.metrics ?? {})) keys.add(key);
  return [...keys];
}

/** A column's value for a job: its name, status, host or duration, its Pareto rank, a metric, or a param. */
export function fieldOf(job: JobInfo, key: string): unknown {
  if (key === 'name' || key === 'status' || key === 'host') return job[key];
  if (key === 'duration') return job.durationMs;
  if (key === 'rank') return model.ranks.get(job.name);
  if (job.metrics && key in job.metrics) return job.metrics[key];
  return job.params[key];
}

/** The chosen metric's value for a job, when it has a number for it. */
export function metricOf(job: JobInfo): number | undefined {
  const value = job.metrics?.[model.metric];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Whether a job passes the filter, the status chosen and every brush. */
export function visible(job: JobInfo): boolean {
  if (model.status && job.status !== model.status) return false;
  for (const within of model.brushes.values()) if (!within(job)) return false;
  const filter = model.filter.toLowerCase();
  return !filter || `${job.name} ${JSON.stringify(job.params)} ${JSON.stringify(job.metrics ?? {})}`.toLowerCase().includes(filter);
}

/** Better first, by the goal; jobs without the metric last. */
export function byMetric(a: JobInfo, b: JobInfo): number {
  const [x, y] = [metricOf(a), metricOf(b)];
  if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? 1 : -1;
  return model.goal === 'min' ? x - y : y - x;
}

/** A param as the charts see it: a name and how to read it; a param of objects is one per key. */
export interface ParamAxis {
  readonly name: string;
  readonly read: (job: JobInfo) => unknown;
}

/**
 * The varying params, with those whose values are objects (a choice of sub-spaces) taken apart
 * into a param per key, `sched.name` and `sched.gamma`, each with numbers on a numeric axis.
 */
export function paramAxes(params: readonly string[]): ParamAxis[] {
  const expand = (name: string, read: (job: JobInfo) => unknown): ParamAxis[] => {
    const keys = new Set<string>();
    let objects = false;
    for (const job of model.jobs.values()) {
      const value = read(job);
      if (isPlainObject(value)) {
        objects = true;
        for (const key of Object.keys(value)) keys.add(key);
      }
    }
    if (!objects) return [{ name, read }];
    return [...keys].flatMap((key) =>
      expand(`${name}.${key}`, (job) => {
        const value = read(job);
        return isPlainObject(value) ? value[key] : undefined;
      }),
    );
  };
  return params.flatMap((param) => expand(param, (job) => job.params[param]));
}
