import { replace, svg } from './dom.js';
import { formatNumber, type Scale } from './scales.js';
import { cssColor } from './theme.js';

/*
 * A chart's frame: a canvas for its marks (thousands of lines or points draw fast there) under an
 * SVG for axes, labels and brushes (text and shapes a reader and a test can find), and a tooltip.
 */

/** The plotting area within a figure, in CSS pixels. */
export interface Box {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

export interface Plot {
  readonly figure: HTMLElement;
  readonly ctx: CanvasRenderingContext2D;
  readonly svg: SVGSVGElement;
  readonly width: number;
  readonly height: number;
}

/**
 * Clears a figure and sizes its canvas to the figure's width (and the screen's pixel density), or
 * to `minWidth` where the figure is narrower: it then scrolls sideways within its section.
 */
export function plotIn(figure: HTMLElement, height: number, minWidth = 200): Plot {
  const canvas = figure.querySelector('canvas')!;
  const overlay = figure.querySelector('svg')!;
  const width = Math.max(minWidth, widthOf(figure));
  const ratio = window.devicePixelRatio || 1;
  // Resized only when its size changed: a new size costs a new bitmap.
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
    overlay.setAttribute('viewBox', `0 0 ${width} ${height}`);
    overlay.setAttribute('width', String(width));
    overlay.setAttribute('height', String(height));
  }
  replace(overlay, []);
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  figure.querySelector<HTMLElement>('.tip')!.hidden = true;
  return { figure, ctx, svg: overlay, width, height };
}

/** Figures' widths as the browser last told them: reading a width at each drawing would force a layout. */
const widths = new WeakMap<HTMLElement, number>();

function widthOf(figure: HTMLElement): number {
  let width = widths.get(figure);
  if (width === undefined) {
    width = figure.clientWidth;
    widths.set(figure, width);
  }
  return width;
}

/** Follows a figure's width, calling `onResize` when it changes. */
export function followWidth(figure: HTMLElement, onResize: () => void): void {
  new ResizeObserver(() => {
    const before = widths.get(figure);
    if (figure.clientWidth === before) return;
    widths.set(figure, figure.clientWidth);
    // The first report is of the width the page opened with, not a change.
    if (before !== undefined) onResize();
  }).observe(figure);
}

/** A message in place of a chart. */
export function say(plot: Plot, message: string): void {
  plot.svg.appendChild(svg('text', { class: 'note', x: '12', y: '24', text: message }));
}

function label(x: number, y: number, text: string, anchor: string, extra: Record<string, string> = {}): SVGElement {
  return svg('text', { x: String(x), y: String(y), 'text-anchor': anchor, ...extra, text });
}

/** An axis along the bottom of the box, with ticks, gridlines and a title. */
export function axisX(plot: Plot, scale: Scale, box: Box, title: string): void {
  const x = (v: number) => box.left + scale.at(v) * (box.right - box.left);
  const g = svg('g', { class: 'axis x', 'data-scale': scale.log ? 'log' : 'linear' });
  g.appendChild(svg('line', { class: 'domain', x1: String(box.left), x2: String(box.right), y1: String(box.bottom), y2: String(box.bottom) }));
  for (const tick of scale.ticks()) {
    g.appendChild(svg('line', { class: 'grid', x1: String(x(tick)), x2: String(x(tick)), y1: String(box.top), y2: String(box.bottom) }));
    g.appendChild(label(x(tick), box.bottom + 14, formatNumber(tick), 'middle', { class: 'tick' }));
  }
  g.appendChild(label((box.left + box.right) / 2, plot.height - 4, title + (scale.log ? ' (log)' : ''), 'middle', { class: 'title' }));
  plot.svg.appendChild(g);
}

/**
 * An axis up the left of the box, with ticks, gridlines and a title; values its range leaves out
 * (see `shownRange`) are counted at its ends.
 */
export function axisY(plot: Plot, scale: Scale & { readonly clippedLow?: number; readonly clippedHigh?: number }, box: Box, title: string): void {
  const y = (v: number) => box.bottom - scale.at(v) * (box.bottom - box.top);
  const g = svg('g', { class: 'axis y', 'data-scale': scale.log ? 'log' : 'linear' });
  g.appendChild(svg('line', { class: 'domain', x1: String(box.left), x2: String(box.left), y1: String(box.top), y2: String(box.bottom) }));
  for (const tick of scale.ticks()) {
    g.appendChild(svg('line', { class: 'grid', x1: String(box.left), x2: String(box.right), y1: String(y(tick)), y2: String(y(tick)) }));
    g.appendChild(label(box.left - 4, y(tick) + 4, formatNumber(tick), 'end', { class: 'tick' }));
  }
  g.appendChild(
    label(12, (box.top + box.bottom) / 2, title + (scale.log ? ' (log)' : ''), 'middle', {
      class: 'title',
      transform: `rotate(-90 12 ${(box.top + box.bottom) / 2})`,
    }),
  );
  plot.svg.appendChild(g);
  clippedNote(plot, scale.clippedHigh ?? 0, box.right, box.top + 10, 'the top');
  clippedNote(plot, scale.clippedLow ?? 0, box.right, box.bottom - 6, 'the bottom');
}

/** Says how many values lie beyond an axis's range (drawn at its edge), where that edge is. */
function clippedNote(plot: Plot, count: number, x: number, y: number, where: string): void {
  if (count > 0) plot.svg.appendChild(label(x, y, `${count} beyond ${where} ▸ drawn at the edge`, 'end', { class: 'clipped', 'data-count': String(count) }));
}

/** Shows a tooltip at (x, y) in the figure with a line of text each. */
export function showTip(figure: HTMLElement, x: number, y: number, lines: readonly string[]): void {
  const tip = figure.querySelector<HTMLElement>('.tip')!;
  replace(
    tip,
    lines.map((line) => {
      const div = document.createElement('div');
      div.textContent = line;
      return div;
    }),
  );
  tip.hidden = false;
  // Inside the figure: left of the pointer when near the right edge.
  const left = x + 12 + tip.offsetWidth > figure.clientWidth ? Math.max(0, x - 12 - tip.offsetWidth) : x + 12;
  tip.style.left = `${left}px`;
  tip.style.top = `${Math.max(0, y - 8)}px`;
}

export function hideTip(figure: HTMLElement): void {
  figure.querySelector<HTMLElement>('.tip')!.hidden = true;
}

/** Calls `onHover` with the pointer's position in the figure, and hides the tooltip when it leaves. */
export function onHover(figure: HTMLElement, hover: (x: number, y: number) => readonly string[] | undefined): void {
  figure.addEventListener('pointermove', (event) => {
    const rect = figure.getBoundingClientRect();
    const [x, y] = [event.clientX - rect.left, event.clientY - rect.top];
    const lines = hover(x, y);
    if (lines) showTip(figure, x, y, lines);
    else hideTip(figure);
  });
  figure.addEventListener('pointerleave', () => hideTip(figure));
}

/** Of marks at (x, y) positions, the one nearest (px, py) within `radius` pixels, if any. */
export function nearest<T extends { readonly x: number; readonly y: number }>(marks: readonly T[], px: number, py: number, radius: number): T | undefined {
  let best: T | undefined;
  let distance = radius * radius;
  for (const mark of marks) {
    const d = (mark.x - px) ** 2 + (mark.y - py) ** 2;
    if (d < distance) [best, distance] = [mark, d];
  }
  return best;
}

/** The stroke colour of faded marks (outside a brush, without a value). */
export function fadedColor(): string {
  return cssColor('--faded');
}
