import type { JobInfo } from '../wire/protocol.js';
import { el, replace } from './dom.js';
import { axisX, axisY, type Box, nearest, onHover, plotIn, say } from './figure.js';
import { byMetric, type History, metricOf, model } from './model.js';
import { naturalCompare } from './natural-sort.js';
import { formatNumber, linearScale, scaleFor } from './scales.js';
import { cssColor, palette } from './theme.js';

/*
 * The chosen metric over steps for the best jobs and the one selected, overlaid with a legend
 * (pruned jobs dashed, failed ones dotted); or, for a search, the best value so far over its
 * trials. Hovering names the job, its step and value, and its params.
 */

/** How many of the best jobs are drawn (besides the selected one). */
export const topCount = 8;

interface Mark {
  readonly job: JobInfo;
  readonly x: number;
  readonly y: number;
  readonly step: number;
  readonly value: number;
}

let marks: Mark[] = [];

/** The jobs whose curves are drawn: the selected one first, then the best, by the goal. */
export function curveJobs(jobs: readonly JobInfo[]): JobInfo[] {
  const best = jobs.filter((job) => metricOf(job) !== undefined).sort(byMetric);
  const selected = model.selected ? model.jobs.get(model.selected) : undefined;
  const chosen = selected ? [selected, ...best.filter((job) => job !== selected)] : best;
  return chosen.slice(0, topCount + (selected ? 1 : 0));
}

function pointsOf(history: History | undefined): [number, number][] {
  return (history ?? []).flatMap(({ step, values }) => {
    const value = values[model.metric];
    return typeof value === 'number' && Number.isFinite(value) ? [[step, value] as [number, number]] : [];
  });
}

/** Learning curves of `shown` (their histories as far as loaded); the legend goes into `legend`. */
export function drawCurves(figure: HTMLElement, legend: HTMLElement, shown: readonly JobInfo[]): void {
  const plot = plotIn(figure, 260);
  marks = [];
  figure.dataset.curves = '0';
  replace(legend, []);
  if (!model.metric) {
    say(plot, 'No metrics yet.');
    return;
  }
  const curves = shown.map((job) => ({ job, points: pointsOf(model.histories.get(job.name)) })).filter((c) => c.points.length > 0);
  if (curves.length === 0) {
    say(plot, `No reports of ${model.metric} yet.`);
    return;
  }
  const box: Box = { left: 56, top: 12, right: plot.width - 12, bottom: plot.height - 36 };
  const steps = curves.flatMap((c) => c.points.map((p) => p[0]));
  const xScale = linearScale(Math.min(...steps), Math.max(...steps));
  const yScale = scaleFor(curves.flatMap((c) => c.points.map((p) => p[1])));
  axisX(plot, xScale, box, 'step');
  axisY(plot, yScale, box, model.metric);
  const { ctx } = plot;
  const toX = (step: number) => box.left + xScale.at(step) * (box.right - box.left);
  const toY = (value: number) => box.bottom - Math.min(1, Math.max(0, yScale.at(value))) * (box.bottom - box.top);
  curves.forEach(({ job, points }, i) => {
    const color = palette[i % palette.length]!;
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = job.name === model.selected ? 3 : 1.5;
    // Pruned: dashed; failed or killed: dotted; the rest solid.
    ctx.setLineDash(job.status === 'pruned' ? [6, 4] : job.status === 'failed' || job.status === 'killed' ? [2, 3] : []);
    ctx.beginPath();
    points.forEach(([step, value], k) => {
      const [x, y] = [toX(step), toY(value)];
      if (k === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
      marks.push({ job, x, y, step, value });
    });
    ctx.stroke();
    ctx.setLineDash([]);
    const [lastStep, lastValue] = points.at(-1)!;
    ctx.beginPath();
    ctx.arc(toX(lastStep), toY(lastValue), 2.5, 0, 2 * Math.PI);
    ctx.fill();
    const swatch = el('span', { class: `swatch ${job.status}` });
    swatch.style.borderColor = color;
    legend.appendChild(
      el('li', { 'data-job': job.name, class: job.name === model.selected ? 'selected' : '' }, [
        swatch,
        el('span', { class: 'name', text: job.name }),
        el('span', { class: `st-${job.status}`, text: ` ${job.status} · ${formatNumber(lastValue)}` }),
      ]),
    );
  });
  figure.dataset.curves = String(curves.length);
}

/** A search's best value so far over its trials (in the order of their names), each trial a dot. */
export function drawBestSoFar(figure: HTMLElement, legend: HTMLElement, jobs: readonly JobInfo[]): void {
  const plot = plotIn(figure, 260);
  marks = [];
  replace(legend, []);
  figure.dataset.curves = '0';
  delete figure.dataset.overlayBest;
  if (!model.metric) {
    say(plot, 'No metrics yet.');
    return;
  }
  const trials = jobs.filter((job) => metricOf(job) !== undefined).sort((a, b) => naturalCompare(a.name, b.name));
  if (trials.length === 0) {
    say(plot, `No trial has ${model.metric} yet.`);
    return;
  }
  const box: Box = { left: 56, top: 12, right: plot.width - 12, bottom: plot.height - 36 };
  const values = trials.map((job) => metricOf(job)!);
  // Another batch's trials, for its best so far beside this one's.
  const others = (model.overlay?.jobs ?? []).filter((job) => metricOf(job) !== undefined).sort((a, b) => naturalCompare(a.name, b.name));
  const otherValues = others.map((job) => metricOf(job)!);
  const xScale = linearScale(1, Math.max(2, trials.length, others.length));
  const yScale = scaleFor([...values, ...otherValues]);
  axisX(plot, xScale, box, 'trial');
  axisY(plot, yScale, box, model.metric);
  const { ctx } = plot;
  const toX = (n: number) => box.left + xScale.at(n) * (box.right - box.left);
  const toY = (value: number) => box.bottom - Math.min(1, Math.max(0, yScale.at(value))) * (box.bottom - box.top);
  ctx.fillStyle = cssColor('--muted');
  trials.forEach((job, i) => {
    const value = values[i]!;
    const [x, y] = [toX(i + 1), toY(value)];
    ctx.beginPath();
    ctx.arc(x, y, 2.5, 0, 2 * Math.PI);
    ctx.fill();
    marks.push({ job, x, y, step: i + 1, value });
  });
  ctx.strokeStyle = cssColor('--accent');
  ctx.lineWidth = 2;
  const best = bestSoFarLine(ctx, values, toX, toY);
  figure.dataset.curves = '1';
  figure.dataset.best = String(best);
  legend.appendChild(el('li', { class: 'best' }, [el('span', { class: 'name', text: `best so far: ${formatNumber(best)} after ${trials.length} trials` })]));
  if (others.length === 0 || !model.overlay) return;
  // The other batch's best so far: dashed, in a colour of its own.
  ctx.strokeStyle = palette[1]!;
  ctx.setLineDash([6, 4]);
  const otherBest = bestSoFarLine(ctx, otherValues, toX, toY);
  ctx.setLineDash([]);
  figure.dataset.overlayBest = String(otherBest);
  legend.appendChild(
    el('li', { class: 'best overlay' }, [
      el('span', { class: 'name', text: `${model.overlay.name}, best so far: ${formatNumber(otherBest)} after ${others.length} trials` }),
    ]),
  );
}

/**
 * Strokes the best value so far over trials as a step line (the best stays until a trial beats
 * it, by the goal), in the context's current style; returns the last best.
 */
function bestSoFarLine(ctx: CanvasRenderingContext2D, values: readonly number[], toX: (n: number) => number, toY: (value: number) => number): number {
  let best = Number.NaN;
  let previous = 0;
  ctx.beginPath();
  values.forEach((value, i) => {
    if (Number.isNaN(best) || (model.goal === 'min' ? value < best : value > best)) best = value;
    const [x, y] = [toX(i + 1), toY(best)];
    if (i === 0) ctx.moveTo(x, y);
    else {
      ctx.lineTo(x, previous);
      ctx.lineTo(x, y);
    }
    previous = y;
  });
  ctx.stroke();
  return best;
}

/** The tooltip: the report nearest the pointer, with its job's params. */
export function followCurveHover(figure: HTMLElement, unit: () => string): void {
  onHover(figure, (x, y) => {
    const best = nearest(marks, x, y, 10);
    if (!best) return undefined;
    const { job } = best;
    return [
      `${job.name} · ${job.status}`,
      `${unit()} ${best.step}: ${model.metric} = ${formatNumber(best.value)}`,
      ...Object.entries(job.params).map(([k, v]) => `${k} = ${JSON.stringify(v)}`),
    ];
  });
}
