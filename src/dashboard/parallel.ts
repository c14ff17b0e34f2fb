import type { JobInfo } from '../wire/protocol.js';
import { svg } from './dom.js';
import { type Box, fadedColor, plotIn, say } from './figure.js';
import { metricOf, model, type ParamAxis, visible } from './model.js';
import { naturalCompare } from './natural-sort.js';
import { formatNumber, type Scale, scaleFor } from './scales.js';
import { bandLabel, logParam } from './scatter.js';
import { ramp, rampSteps } from './theme.js';

/*
 * Parallel coordinates: an axis per varying param and one for the chosen metric, a line per job
 * coloured by its metric (brighter is better), or in a search of several objectives by its
 * trial's Pareto rank (the front brightest). Dragging along an axis brushes a range of it; the
 * table and the other charts then show only the jobs within every brush; a click on an axis
 * clears its brush.
 */

interface Axis {
  readonly name: string;
  readonly x: number;
  /** A job's place along the axis, 0 at the bottom, 1 at the top; undefined without a value. */
  readonly at: (job: JobInfo) => number | undefined;
  readonly scale?: Scale;
  /** For a categorical axis: its values as JSON, bottom to top. */
  readonly bands?: readonly string[];
  readonly read: (job: JobInfo) => unknown;
}

/** A brush as drawn: the axis and the span of it, in places along the axis. */
const spans = new Map<string, readonly [number, number]>();
let axes: Axis[] = [];
let box: Box = { left: 0, top: 0, right: 0, bottom: 0 };
let redraw: () => void = () => undefined;

function axisFor(name: string, x: number, read: (job: JobInfo) => unknown, jobs: readonly JobInfo[], isMetric: boolean): Axis {
  const values = jobs.map(read).filter((v) => v !== undefined);
  if (values.length > 0 && values.every((v) => typeof v === 'number')) {
    const numbers = values as number[];
    // A param's whole range is shown; a metric's far-off values are clipped to the edge.
    const scale = isMetric ? scaleFor(numbers) : scaleFor([Math.min(...numbers), Math.max(...numbers)], logParam(name));
    const at = (job: JobInfo) => {
      const v = read(job);
      return typeof v === 'number' ? Math.min(1, Math.max(0, scale.at(v))) : undefined;
    };
    return { name, x, at, scale, read };
  }
  const bands = [...new Set(values.map((v) => JSON.stringify(v)))].sort(naturalCompare);
  const index = new Map(bands.map((band, i) => [band, i]));
  const at = (job: JobInfo) => {
    const v = read(job);
    const i = v === undefined ? undefined : index.get(JSON.stringify(v));
    return i === undefined ? undefined : bands.length === 1 ? 0.5 : i / (bands.length - 1);
  };
  return { name, x, at, bands, read };
}

/** Draws the chart for `jobs` with `params` as axes; `onBrush` follows a change of brushes. */
export function drawParallel(figure: HTMLElement, params: readonly ParamAxis[], jobs: readonly JobInfo[], onBrush: () => void): void {
  redraw = () => drawParallel(figure, params, jobs, onBrush);
  const names = [...params.map((p) => p.name), ...(model.metric ? [model.metric] : [])];
  // Axes at least 80 px apart: on a phone the chart scrolls sideways rather than crowd them.
  const plot = plotIn(figure, 300, 80 * names.length);
  figure.dataset.lines = '0';
  if (jobs.length === 0 || names.length < 2) {
    axes = [];
    say(plot, jobs.length === 0 ? 'No jobs yet.' : 'Parallel coordinates need two params or a param and a metric.');
    return;
  }
  box = { left: 40, top: 28, right: plot.width - 40, bottom: plot.height - 16 };
  const gap = (box.right - box.left) / (names.length - 1);
  axes = names.map((name, i) => {
    const isMetric = i === params.length;
    return axisFor(name, box.left + i * gap, isMetric ? metricOf : params[i]!.read, jobs, isMetric);
  });
  const metricAxis = model.metric ? axes.at(-1) : undefined;
  const { ctx } = plot;
  const y = (position: number) => box.bottom - position * (box.bottom - box.top);
  // A job's polyline, added to the current path (lines of one colour are stroked together).
  const line = (job: JobInfo) => {
    let pen = false;
    for (const axis of axes) {
      const position = axis.at(job);
      if (position === undefined) pen = false;
      else if (pen) ctx.lineTo(axis.x, y(position));
      else {
        ctx.moveTo(axis.x, y(position));
        pen = true;
      }
    }
  };
  const stroke = (group: readonly JobInfo[], color: string) => {
    if (group.length === 0) return;
    ctx.strokeStyle = color;
    ctx.beginPath();
    for (const job of group) line(job);
    ctx.stroke();
  };
  const shown: JobInfo[] = [];
  const hiddenJobs: JobInfo[] = [];
  for (const job of jobs) (visible(job) ? shown : hiddenJobs).push(job);
  ctx.lineWidth = 1;
  ctx.globalAlpha = 0.35;
  stroke(hiddenJobs, fadedColor());
  // Jobs grouped by the step of the ramp their metric (or Pareto rank) puts them on; the better groups drawn later, on top.
  const groups = Array.from({ length: rampSteps + 1 }, () => [] as JobInfo[]);
  const byRank = model.colourBy === 'rank' && model.ranks.size > 0;
  let worstRank = 1;
  if (byRank) for (const rank of model.ranks.values()) worstRank = Math.max(worstRank, rank);
  for (const job of shown) {
    const place = byRank
      ? rankPlace(model.ranks.get(job.name), worstRank)
      : metricAxis && metricAxis.at(job) !== undefined
        ? goodness(metricAxis.at(job)!)
        : undefined;
    groups[place === undefined ? 0 : 1 + Math.round(place * (rampSteps - 1))]!.push(job);
  }
  figure.dataset.colour = byRank ? 'rank' : 'metric';
  // The lines drawn brightest: the front's under the rank, for readers' tools and tests.
  figure.dataset.brightest = String(groups[rampSteps]!.length);
  ctx.globalAlpha = shown.length > 2000 ? 0.4 : 0.8;
  groups.forEach((group, k) => {
    stroke(group, k === 0 ? fadedColor() : ramp(k - 1));
  });
  ctx.globalAlpha = 1;
  figure.dataset.lines = String(shown.length);
  for (const axis of axes) plot.svg.appendChild(axisNodes(axis, axis === metricAxis));
}

/** 1 for the front, 0 for the worst rank, evenly between; undefined for a job with no rank. */
function rankPlace(rank: number | undefined, worst: number): number | undefined {
  if (rank === undefined) return undefined;
  return worst === 1 ? 1 : 1 - (rank - 1) / (worst - 1);
}

/** 0 for the worst place on the metric's axis, 1 for the best, by the goal. */
function goodness(place: number): number {
  return model.goal === 'min' ? 1 - place : place;
}

function axisNodes(axis: Axis, isMetric: boolean): SVGElement {
  const y = (position: number) => box.bottom - position * (box.bottom - box.top);
  const x = String(axis.x);
  const labels = axis.scale
    ? axis.scale.ticks().map((tick) => [axis.scale!.at(tick), formatNumber(tick)] as const)
    : axis.bands!.map((band, i, all) => [all.length === 1 ? 0.5 : i / (all.length - 1), bandLabel(band)] as const);
  const span = spans.get(axis.name);
  return svg(
    'g',
    { class: `pc-axis${isMetric ? ' metric' : ''}`, 'data-axis': axis.name, 'data-scale': axis.scale ? (axis.scale.log ? 'log' : 'linear') : 'bands' },
    [
      svg('line', { class: 'domain', x1: x, x2: x, y1: String(box.top), y2: String(box.bottom) }),
      svg('text', { class: 'title', x, y: String(box.top - 12), 'text-anchor': 'middle', text: axis.name + (axis.scale?.log ? ' (log)' : '') }),
      ...labels.map(([position, text]) => svg('text', { class: 'tick', x: String(axis.x - 4), y: String(y(position) + 4), 'text-anchor': 'end', text })),
      span
        ? svg('rect', {
            class: 'brush',
            'data-axis': axis.name,
            // The values it keeps, for a reader's tools (and tests): from its lower edge to its upper.
            ...(axis.scale ? { 'data-low': String(axis.scale.valueAt(span[0])), 'data-high': String(axis.scale.valueAt(span[1])) } : {}),
            x: String(axis.x - 8),
            width: '16',
            y: String(y(span[1])),
            height: String(y(span[0]) - y(span[1])),
          })
        : null,
      // A wide, clear strip to catch the pointer along the axis.
      svg('rect', { class: 'grip', 'data-axis': axis.name, x: String(axis.x - 14), width: '28', y: String(box.top), height: String(box.bottom - box.top) }),
    ],
  );
}

/** Sets an axis's brush to the span [from, to] of it (places in [0, 1]), or clears it (null). */
function setBrush(axis: Axis, span: readonly [number, number] | null): void {
  if (!span) {
    spans.delete(axis.name);
    model.brushes.delete(axis.name);
    return;
  }
  spans.set(axis.name, span);
  // Kept as values, not places: a job that comes later and moves the scale stays judged by its value.
  const { scale, bands } = axis;
  if (scale) {
    const [low, high] = [scale.valueAt(span[0]), scale.valueAt(span[1])];
    model.brushes.set(axis.name, (job) => {
      const v = axis.read(job);
      return typeof v === 'number' && v >= low && v <= high;
    });
  } else {
    const within = new Set(
      bands!.filter((_, i) => {
        const place = bands!.length === 1 ? 0.5 : i / (bands!.length - 1);
        return place >= span[0] && place <= span[1];
      }),
    );
    model.brushes.set(axis.name, (job) => within.has(JSON.stringify(axis.read(job))));
  }
}

/** Brushing with the pointer (mouse, pen or touch): drag along an axis to brush, click to clear. */
export function followBrushing(figure: HTMLElement, onBrush: () => void): void {
  const overlay = figure.querySelector('svg')!;
  let drag: { axis: Axis; from: number } | undefined;
  let frame = 0;
  const place = (event: PointerEvent) => {
    const rect = overlay.getBoundingClientRect();
    return Math.min(1, Math.max(0, (box.bottom - (event.clientY - rect.top)) / (box.bottom - box.top)));
  };
  overlay.addEventListener('pointerdown', (event) => {
    const grip = (event.target as Element).closest('[data-axis]');
    const axis = grip && axes.find((a) => a.name === grip.getAttribute('data-axis'));
    if (!axis) return;
    event.preventDefault();
    overlay.setPointerCapture(event.pointerId);
    drag = { axis, from: place(event) };
  });
  overlay.addEventListener('pointermove', (event) => {
    if (!drag) return;
    const to = place(event);
    spans.set(drag.axis.name, [Math.min(drag.from, to), Math.max(drag.from, to)]);
    // At most one drawing a frame, however fast the pointer moves.
    if (!frame)
      frame = requestAnimationFrame(() => {
        frame = 0;
        redraw();
      });
  });
  overlay.addEventListener('pointerup', (event) => {
    if (!drag) return;
    const to = place(event);
    const tiny = Math.abs(to - drag.from) * (box.bottom - box.top) < 3;
    setBrush(drag.axis, tiny ? null : [Math.min(drag.from, to), Math.max(drag.from, to)]);
    drag = undefined;
    onBrush();
  });
}
