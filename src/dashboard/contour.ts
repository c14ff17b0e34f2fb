import type { JobInfo } from '../wire/protocol.js';
import { axisX, axisY, type Box, plotIn, say } from './figure.js';
import { metricOf, model, type ParamAxis } from './model.js';
import { formatNumber, type Scale, scaleFor } from './scales.js';
import { logParam } from './scatter.js';
import { ramp, rampSteps } from './theme.js';

/*
 * The chosen metric over two numeric params, as a heat map: the plane is cut into cells, each
 * coloured by the metric where the jobs near it put it (the mean of the jobs' values weighted by
 * the inverse square of their distance, on the axes' own scales), brighter where it is better by
 * the goal; the jobs are dots on top, so where the map guesses and where it knows stays plain.
 */

/** Cells along each side. */
const cells = 28;
/** Jobs the map is made from, at most: each cell reads every one. */
const maxJobs = 5000;

export function drawContour(figure: HTMLElement, xAxis: ParamAxis | undefined, yAxis: ParamAxis | undefined, jobs: readonly JobInfo[]): void {
  const plot = plotIn(figure, 280);
  figure.dataset.cells = '0';
  delete figure.dataset.brightest;
  if (!xAxis || !yAxis || xAxis.name === yAxis.name) {
    say(plot, 'Choose two numeric params.');
    return;
  }
  const numbers = (axis: ParamAxis, job: JobInfo) => {
    const value = axis.read(job);
    return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
  };
  const known = jobs.filter((job) => metricOf(job) !== undefined && numbers(xAxis, job) !== undefined && numbers(yAxis, job) !== undefined).slice(0, maxJobs);
  if (known.length < 3) {
    say(plot, `Too few jobs with numbers for ${xAxis.name}, ${yAxis.name} and ${model.metric || 'a metric'} to map.`);
    return;
  }
  const box: Box = { left: 56, top: 12, right: plot.width - 12, bottom: plot.height - 36 };
  const scaleOf = (axis: ParamAxis): Scale => {
    const values = known.map((job) => numbers(axis, job)!);
    return scaleFor([Math.min(...values), Math.max(...values)], logParam(axis.name));
  };
  const [xScale, yScale] = [scaleOf(xAxis), scaleOf(yAxis)];
  const metricScale = scaleFor(known.map((job) => metricOf(job)!));
  const points = known.map((job) => ({ u: xScale.at(numbers(xAxis, job)!), v: yScale.at(numbers(yAxis, job)!), value: metricOf(job)! }));
  const { ctx } = plot;
  const [width, height] = [(box.right - box.left) / cells, (box.bottom - box.top) / cells];
  let brightest: { k: number; i: number; j: number } | undefined;
  for (let i = 0; i < cells; i++)
    for (let j = 0; j < cells; j++) {
      const [u, v] = [(i + 0.5) / cells, (j + 0.5) / cells];
      let weighted = 0;
      let weights = 0;
      for (const point of points) {
        const d2 = (point.u - u) ** 2 + (point.v - v) ** 2;
        // A job in the cell decides it: no division by a distance of nearly nothing.
        const w = 1 / Math.max(d2, 1e-6);
        weighted += w * point.value;
        weights += w;
      }
      const position = Math.min(1, Math.max(0, metricScale.at(weighted / weights)));
      const k = Math.round((model.goal === 'min' ? 1 - position : position) * (rampSteps - 1));
      if (!brightest || k > brightest.k) brightest = { k, i, j };
      ctx.fillStyle = ramp(k);
      ctx.fillRect(box.left + i * width, box.bottom - (j + 1) * height, Math.ceil(width), Math.ceil(height));
    }
  ctx.fillStyle = 'rgb(255 255 255 / 85%)';
  ctx.strokeStyle = 'rgb(0 0 0 / 60%)';
  ctx.beginPath();
  for (const { u, v } of points) {
    const [x, y] = [box.left + u * (box.right - box.left), box.bottom - v * (box.bottom - box.top)];
    ctx.moveTo(x + 2.5, y);
    ctx.arc(x, y, 2.5, 0, 2 * Math.PI);
  }
  ctx.fill();
  ctx.stroke();
  axisX(plot, xScale, box, xAxis.name);
  axisY(plot, yScale, box, yAxis.name);
  figure.dataset.cells = String(cells * cells);
  figure.dataset.points = String(points.length);
  // Where the map is best: for readers (a caption) and tests.
  if (brightest) {
    const at = (scale: Scale, cell: number) => formatNumber(scale.valueAt((cell + 0.5) / cells));
    figure.dataset.brightest = `${at(xScale, brightest.i)},${at(yScale, brightest.j)}`;
  }
}
