import type { JobInfo } from '../wire/protocol.js';
import { svg } from './dom.js';
import { axisX, axisY, type Box, nearest, onHover, plotIn, say } from './figure.js';
import { metricOf, model, type ParamAxis } from './model.js';
import { naturalCompare } from './natural-sort.js';
import { formatNumber, scaleFor } from './scales.js';
import { palette, statusColor } from './theme.js';

/*
 * The chosen metric against one param, a point per job: numbers on a real axis (log when the
 * search draws the param so, or its values span decades), other values in bands; far-off metric
 * values are drawn at the edge and counted rather than stretching the axis.
 */

interface Point {
  readonly job: JobInfo;
  readonly x: number;
  readonly y: number;
}

let drawn: Point[] = [];

/** Whether the param is drawn on a log scale by what the batch says of it. */
export function logParam(param: string): boolean | undefined {
  return model.batch?.search?.logParams.includes(param) ? true : undefined;
}

export function drawScatter(figure: HTMLElement, axis: ParamAxis | undefined, jobs: readonly JobInfo[]): void {
  const plot = plotIn(figure, 260);
  drawn = [];
  const param = axis?.name ?? '';
  const read = axis?.read ?? (() => undefined);
  const withBoth = jobs.filter((job) => metricOf(job) !== undefined && read(job) !== undefined);
  figure.dataset.points = '0';
  figure.dataset.overlayPoints = '0';
  if (!model.metric) {
    say(plot, 'No metrics yet.');
    return;
  }
  if (withBoth.length === 0) {
    say(plot, `No job has both ${param} and ${model.metric} yet.`);
    return;
  }
  const box: Box = { left: 56, top: 12, right: plot.width - 12, bottom: plot.height - 36 };
  // Another batch's jobs, drawn beside these where they have the same param as numbers.
  const numeric = withBoth.every((job) => typeof read(job) === 'number');
  const others = numeric ? (model.overlay?.jobs ?? []).filter((job) => metricOf(job) !== undefined && typeof read(job) === 'number') : [];
  const ys = [...withBoth, ...others].map((job) => metricOf(job)!);
  const yScale = scaleFor(ys);
  let xAt: (job: JobInfo) => number;
  if (numeric) {
    // A param's range is the reader's choice, not noise: none of it is left out.
    const all = [...withBoth, ...others].map((job) => read(job) as number);
    const xScale = scaleFor([Math.min(...all), Math.max(...all)], logParam(param));
    axisX(plot, xScale, box, param);
    xAt = (job) => box.left + xScale.at(read(job) as number) * (box.right - box.left);
  } else {
    const bands = [...new Set(withBoth.map((job) => JSON.stringify(read(job))))].sort(naturalCompare);
    const width = (box.right - box.left) / bands.length;
    const x = (i: number) => String(box.left + width * (i + 0.5));
    const ticks = bands.map((band, i) => svg('text', { class: 'tick', x: x(i), y: String(box.bottom + 14), 'text-anchor': 'middle', text: bandLabel(band) }));
    plot.svg.appendChild(svg('g', { class: 'axis x', 'data-scale': 'bands' }, ticks));
    // Spread within the band by a hash of the name, so equal values do not hide each other.
    xAt = (job) => {
      const i = bands.indexOf(JSON.stringify(read(job)));
      const spread = (hash(job.name) % 1000) / 1000 - 0.5;
      return box.left + width * (i + 0.5 + spread * 0.6);
    };
  }
  axisY(plot, yScale, box, model.metric);
  const { ctx } = plot;
  // One path per status, filled once: 10,000 points draw as a handful of fills.
  const byStatus = new Map<JobInfo['status'], JobInfo[]>();
  for (const job of withBoth) {
    const group = byStatus.get(job.status);
    if (group) group.push(job);
    else byStatus.set(job.status, [job]);
  }
  for (const [status, group] of byStatus) {
    ctx.fillStyle = statusColor(status);
    ctx.beginPath();
    for (const job of group) {
      const position = yScale.at(metricOf(job)!);
      const beyond = position > 1 ? 1 : position < 0 ? -1 : 0;
      const [x, y] = [xAt(job), box.bottom - Math.min(1, Math.max(0, position)) * (box.bottom - box.top)];
      if (beyond === 0) {
        ctx.moveTo(x + 3.5, y);
        ctx.arc(x, y, 3.5, 0, 2 * Math.PI);
      } else {
        // A far-off value: a triangle at the edge, pointing where it lies.
        ctx.moveTo(x - 5, y + 5 * beyond);
        ctx.lineTo(x + 5, y + 5 * beyond);
        ctx.lineTo(x, y - 2 * beyond);
        ctx.closePath();
      }
      drawn.push({ job, x, y });
    }
    ctx.fill();
  }
  figure.dataset.points = String(drawn.length);
  // The other batch's jobs: hollow squares, at the edge where far off.
  ctx.strokeStyle = palette[1]!;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  for (const job of others) {
    const [x, y] = [xAt(job), box.bottom - Math.min(1, Math.max(0, yScale.at(metricOf(job)!))) * (box.bottom - box.top)];
    ctx.rect(x - 3, y - 3, 6, 6);
  }
  ctx.stroke();
  figure.dataset.overlayPoints = String(others.length);
}

/** A category's label: a string as itself, anything else as JSON. */
export function bandLabel(json: string): string {
  const value = JSON.parse(json) as unknown;
  return typeof value === 'string' ? value : json;
}

/** A small stable number from a name, to spread points in a band. */
function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) >>> 0;
  return h;
}

/** The tooltip: the job nearest the pointer, its params and its value. */
export function followScatterHover(figure: HTMLElement): void {
  onHover(figure, (x, y) => {
    const best = nearest(drawn, x, y, 8);
    if (!best) return undefined;
    const { job } = best;
    return [
      job.name,
      `${model.metric} = ${formatNumber(metricOf(job)!)} · ${job.status}`,
      ...Object.entries(job.params).map(([k, v]) => `${k} = ${JSON.stringify(v)}`),
    ];
  });
}
