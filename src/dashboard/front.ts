import type { JobInfo } from '../wire/protocol.js';
import { axisX, axisY, type Box, fadedColor, nearest, onHover, plotIn, say } from './figure.js';
import { model } from './model.js';
import { formatNumber, scaleFor } from './scales.js';
import { palette } from './theme.js';

/*
 * A search of several objectives: its trials on two chosen objectives, the front (rank 1 over
 * every objective, as `batch best` gives it) bright and joined by its steps, the dominated
 * trials dimmed. With three or four objectives a front trial may look beaten on the two drawn:
 * it is better in one not drawn.
 */

interface Mark {
  readonly job: JobInfo;
  readonly x: number;
  readonly y: number;
  readonly rank: number;
}

let drawn: Mark[] = [];

/** A job's number for an objective, when it has one. */
function objectiveValue(job: JobInfo, metric: string): number | undefined {
  const value = job.metrics?.[metric];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The least and the greatest of values, by a loop: tens of thousands of trials are too many arguments to spread. */
function extent(values: readonly number[]): [number, number] {
  let [low, high] = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  for (const value of values) [low, high] = [Math.min(low, value), Math.max(high, value)];
  return [low, high];
}

export function drawFront(figure: HTMLElement, jobs: readonly JobInfo[], xMetric: string, yMetric: string): void {
  const plot = plotIn(figure, 280);
  drawn = [];
  figure.dataset.front = '';
  figure.dataset.dominated = '0';
  const ranked = jobs.filter((job) => model.ranks.has(job.name) && objectiveValue(job, xMetric) !== undefined && objectiveValue(job, yMetric) !== undefined);
  if (!xMetric || !yMetric || xMetric === yMetric) {
    say(plot, 'Choose two objectives.');
    return;
  }
  if (ranked.length === 0) {
    say(plot, `No trial has ended with ${xMetric} and ${yMetric} yet.`);
    return;
  }
  const box: Box = { left: 56, top: 12, right: plot.width - 12, bottom: plot.height - 36 };
  const xs = ranked.map((job) => objectiveValue(job, xMetric)!);
  const ys = ranked.map((job) => objectiveValue(job, yMetric)!);
  // Every trial in view (a front's ends are often its far-off values), on linear axes: a knee of the trade-off shows as the bend it is.
  const xScale = scaleFor(extent(xs), false);
  const yScale = scaleFor(extent(ys), false);
  const at = (job: JobInfo): Mark => ({
    job,
    x: box.left + xScale.at(objectiveValue(job, xMetric)!) * (box.right - box.left),
    y: box.bottom - yScale.at(objectiveValue(job, yMetric)!) * (box.bottom - box.top),
    rank: model.ranks.get(job.name)!,
  });
  drawn = ranked.map(at);
  const front = drawn.filter((mark) => mark.rank === 1);
  const dominated = drawn.filter((mark) => mark.rank > 1);
  const { ctx } = plot;
  ctx.globalAlpha = 0.45;
  ctx.fillStyle = fadedColor();
  ctx.beginPath();
  for (const { x, y } of dominated) {
    ctx.moveTo(x + 3, y);
    ctx.arc(x, y, 3, 0, 2 * Math.PI);
  }
  ctx.fill();
  ctx.globalAlpha = 1;
  // The front's trade-off, left to right, as a line through its trials.
  ctx.strokeStyle = palette[1]!;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  for (const [i, { x, y }] of [...front].sort((a, b) => a.x - b.x).entries()) {
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  }
  ctx.stroke();
  ctx.fillStyle = palette[1]!;
  ctx.beginPath();
  for (const { x, y } of front) {
    ctx.moveTo(x + 5, y);
    ctx.arc(x, y, 5, 0, 2 * Math.PI);
  }
  ctx.fill();
  axisX(plot, xScale, box, xMetric);
  axisY(plot, yScale, box, yMetric);
  // The jobs drawn as the front, and how many dimmed: for readers' tools and tests.
  figure.dataset.front = front
    .map((mark) => mark.job.name)
    .sort()
    .join(',');
  figure.dataset.dominated = String(dominated.length);
}

/** The tooltip: the trial nearest the pointer, its rank and values. */
export function followFrontHover(figure: HTMLElement, objectives: () => readonly string[]): void {
  onHover(figure, (x, y) => {
    const mark = nearest(drawn, x, y, 8);
    if (!mark) return undefined;
    return [
      `${mark.job.name} · ${mark.rank === 1 ? 'on the front' : `rank ${mark.rank}`}`,
      ...objectives().map((metric) => `${metric} = ${formatNumber(objectiveValue(mark.job, metric) ?? Number.NaN)}`),
      ...Object.entries(mark.job.params).map(([k, v]) => `${k} = ${JSON.stringify(v)}`),
    ];
  });
}
