/*
 * The dashboard's script, run in the browser. It reads the daemon's native API relative to the
 * page's own address (the token in the path authenticates it) and follows its event stream. Every
 * node is built with DOM calls and text goes in as textContent: no job-controlled text is ever
 * parsed as HTML. An event updates the row of its job; the table is drawn whole only when its
 * columns, its order or its filter change.
 */
import type { BatchInfo, JobInfo } from '../daemon/protocol.js';

type Status = JobInfo['status'];
type JobMetrics = {
  readonly last: Record<string, number | string>;
  readonly history: readonly { readonly step: number; readonly values: Record<string, number | string> }[];
};
type Attributes = Readonly<Record<string, string>> & { readonly text?: string };

const statuses: readonly Status[] = ['succeed', 'failed', 'killed', 'pruned', 'running', 'init'];
const colors: Readonly<Record<Status, string>> = {
  succeed: '#12805c',
  failed: '#c4320a',
  killed: '#b54708',
  pruned: '#7a5af8',
  running: '#1570ef',
  init: '#e4e7ec',
};
const svgNamespace = 'http://www.w3.org/2000/svg';

const jobs = new Map<string, JobInfo>();
const rows = new Map<string, HTMLTableRowElement>();
let batch: BatchInfo | null = null;
let columns: string[] = [];
/** Columns the user chose to hide (the name always shows). */
const hidden = new Set<string>();
let sortKey = 'name';
let sortDesc = false;
let selected: string | null = null;
let logOffset = 0;
let logTimer: number | undefined;

function byId<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, children: readonly (Node | null)[] = []): HTMLElementTagNameMap[K] {
  return fill(document.createElement(tag), attributes, children);
}

function svg(tag: string, attributes: Attributes = {}): SVGElement {
  return fill(document.createElementNS(svgNamespace, tag) as SVGElement, attributes, []);
}

function fill<E extends Element>(node: E, attributes: Attributes, children: readonly (Node | null)[]): E {
  for (const [key, value] of Object.entries(attributes)) {
    if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child) node.appendChild(child);
  return node;
}

function replace(parent: Element, children: readonly (Node | null)[]): void {
  const fragment = document.createDocumentFragment();
  for (const child of children) if (child) fragment.appendChild(child);
  parent.replaceChildren(fragment);
}

async function api(path: string, options?: RequestInit): Promise<Response> {
  const response = await fetch(`api/v1/${path}`, options);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response;
}

function text(value: unknown): string {
  return value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
}

function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  return s < 3600 ? `${Math.floor(s / 60)}m${Math.round(s % 60)}s` : `${Math.floor(s / 3600)}h${Math.round((s % 3600) / 60)}m`;
}

function varyingParams(): string[] {
  const seen = new Map<string, Set<string>>();
  for (const job of jobs.values()) {
    for (const [key, value] of Object.entries(job.params)) {
      if (!seen.has(key)) seen.set(key, new Set());
      seen.get(key)!.add(JSON.stringify(value));
    }
  }
  return [...seen].filter(([, values]) => values.size > 1).map(([key]) => key);
}

/** Params every job has with the same value: shown once above the table instead of a column each. */
function sharedParams(): string {
  const values = new Map<string, Set<string>>();
  let count = 0;
  for (const job of jobs.values()) {
    count++;
    for (const [key, value] of Object.entries(job.params)) {
      if (!values.has(key)) values.set(key, new Set());
      values.get(key)!.add(JSON.stringify(value));
    }
  }
  const shared = [...values].filter(([key, set]) => set.size === 1 && [...jobs.values()].every((j) => key in j.params));
  if (count < 2 || shared.length === 0) return '';
  return `same for every job: ${shared.map(([key, set]) => `${key}=${text(JSON.parse([...set][0]!))}`).join(', ')}`;
}

function metricKeys(): string[] {
  const keys = new Set<string>();
  for (const job of jobs.values()) for (const key of Object.keys(job.metrics ?? {})) keys.add(key);
  return [...keys];
}

function fieldOf(job: JobInfo, key: string): unknown {
  if (key === 'name' || key === 'status' || key === 'host') return job[key];
  if (key === 'duration') return job.durationMs;
  if (job.metrics && key in job.metrics) return job.metrics[key];
  return job.params[key];
}

function renderSummary(): void {
  if (!batch) return;
  const c = batch.counts;
  const done = c.succeed + c.failed + c.killed + c.pruned;
  byId('title').textContent = `hyperctl · ${batch.name} · ${batch.status}`;
  byId('readonly').hidden = batch.readOnly !== true;
  replace(
    byId('bar'),
    statuses.map((status) => {
      if (!c[status]) return null;
      const span = el('span');
      span.style.width = `${(100 * c[status]) / c.total}%`;
      span.style.background = colors[status];
      return span;
    }),
  );
  const percent = c.total ? Math.round((100 * done) / c.total) : 100;
  const eta =
    done > 0 && done < c.total && batch.status === 'running' && batch.elapsedMs !== null
      ? ` · ETA ${duration((batch.elapsedMs / done) * (c.total - done))}`
      : '';
  const progress = byId('progress');
  progress.textContent = `${percent}% · ${done}/${c.total} done · ${duration(batch.elapsedMs)}${eta}`;
  progress.dataset.percent = String(percent);
  replace(
    byId('counts'),
    statuses.map((status) => el('span', { class: `st-${status}`, text: `${c[status]} ${status}` })),
  );
}

/** The columns shown: every one there is, less those hidden. */
function shownColumns(): string[] {
  return columns.filter((key) => key === 'name' || !hidden.has(key));
}

function row(job: JobInfo): HTMLTableRowElement {
  const cells = shownColumns().map((key) => {
    const shown = key === 'duration' ? duration(job.durationMs) : text(fieldOf(job, key));
    if (key !== 'status') return el('td', { text: shown });
    // Why a job did not succeed (pruned, killed, failed), under its status, as text.
    const why = job.status !== 'succeed' && job.reason ? el('small', { class: 'reason', text: job.reason }) : null;
    return el('td', { class: `st-${job.status}`, ...(job.reason ? { title: job.reason } : {}) }, [document.createTextNode(shown), why]);
  });
  // Served from disk, nothing runs: no kill buttons.
  const kill = job.status === 'running' && batch?.readOnly !== true ? el('button', { class: 'kill', 'data-kill': job.name, text: 'kill' }) : null;
  const tr = el('tr', { class: `job${job.name === selected ? ' selected' : ''}`, 'data-job': job.name }, [...cells, el('td', {}, [kill])]);
  rows.set(job.name, tr);
  return tr;
}

function visible(job: JobInfo): boolean {
  const filter = byId<HTMLInputElement>('filter').value.toLowerCase();
  const status = byId<HTMLSelectElement>('status').value;
  if (status && job.status !== status) return false;
  return !filter || `${job.name} ${JSON.stringify(job.params)} ${JSON.stringify(job.metrics ?? {})}`.toLowerCase().includes(filter);
}

/**
 * Text and the numbers in it, apart: `lr=0.05,d=-3` is `lr=`, 0.05, `,d=`, −3. A minus is a sign
 * only where a number may start (after `=`, `,`, `:`, a space or a bracket, or first), so
 * `trial-0002` stays `trial-` and 2.
 */
function naturalParts(text: string): (string | number)[] {
  const parts: (string | number)[] = [];
  for (const [token] of text.matchAll(/\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|\D+/g)) {
    const before = parts.at(-1);
    if (/^\d/.test(token)) {
      const signed = typeof before === 'string' && /(^|[=,:;\s([{])-$/.test(before);
      if (signed) parts[parts.length - 1] = before.slice(0, -1);
      parts.push(signed ? -Number(token) : Number(token));
    } else parts.push(token);
  }
  return parts;
}

/** Names and values as people order them: `lr=0.05` before `lr=0.2`, `0.01` before `0.1`, `x2` before `x10`. */
function naturalCompare(a: string, b: string): number {
  const x = naturalParts(a);
  const y = naturalParts(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const [p, q] = [x[i]!, y[i]!];
    const order = typeof p === 'number' && typeof q === 'number' ? p - q : String(p).localeCompare(String(q));
    if (order !== 0) return order;
  }
  return x.length - y.length || a.localeCompare(b);
}

function compare(a: JobInfo, b: JobInfo): number {
  const x = fieldOf(a, sortKey);
  const y = fieldOf(b, sortKey);
  if (x === undefined || x === null || y === undefined || y === null) return x === y ? 0 : x === undefined || x === null ? 1 : -1;
  const order = typeof x === 'number' && typeof y === 'number' ? x - y : naturalCompare(String(x), String(y));
  return sortDesc ? -order : order;
}

/** Draws the whole table: when its columns, its order or its filter changed. */
function renderJobs(): void {
  const params = varyingParams();
  const metrics = metricKeys();
  columns = ['name', 'status', 'host', 'duration', ...params, ...metrics];
  byId('shared').textContent = sharedParams();
  replace(
    byId('column-list'),
    columns
      .filter((key) => key !== 'name')
      .map((key) => {
        const box = el('input', { type: 'checkbox', 'data-column': key });
        box.checked = !hidden.has(key);
        return el('label', {}, [box, document.createTextNode(key)]);
      }),
  );
  const table = byId<HTMLTableElement>('jobs');
  replace(table.tHead!, [
    el('tr', {}, [...shownColumns().map((key) => el('th', { 'data-key': key, text: key + (key === sortKey ? (sortDesc ? ' ▼' : ' ▲') : '') })), el('th')]),
  ]);
  rows.clear();
  replace(table.tBodies[0]!, [...jobs.values()].filter(visible).sort(compare).map(row));
  renderChartControls(params, metrics);
}

/** Puts a job's new state in place: its row alone, unless it brings a column the table lacks. */
function update(job: JobInfo): void {
  const known = jobs.has(job.name);
  jobs.set(job.name, { ...jobs.get(job.name), ...job });
  const merged = jobs.get(job.name)!;
  const newColumn = Object.keys(merged.metrics ?? {}).some((key) => !columns.includes(key));
  const current = rows.get(job.name);
  if (!known || newColumn || !current) renderJobs();
  else if (!visible(merged)) current.remove();
  else current.replaceWith(row(merged));
  if (merged.metrics) renderChart();
}

function renderChartControls(params: readonly string[], metrics: readonly string[]): void {
  for (const [id, options] of [
    ['metric', metrics],
    ['param', [...params, 'step']],
  ] as const) {
    const select = byId<HTMLSelectElement>(id);
    const current = select.value;
    if (select.dataset.options === options.join(',')) continue;
    select.dataset.options = options.join(',');
    replace(
      select,
      options.map((option) => new Option(option, option)),
    );
    if (options.includes(current)) select.value = current;
  }
  renderChart();
}

function say(message: string): void {
  replace(byId('chart'), [svg('text', { x: '10', y: '20', fill: '#667085', text: message })]);
}

function renderChart(): void {
  const metric = byId<HTMLSelectElement>('metric').value;
  const param = byId<HTMLSelectElement>('param').value;
  if (!metric) {
    say('No metrics yet.');
    return;
  }
  if (param === 'step') {
    if (!selected) {
      say(`Choose a job to see ${metric} over its steps.`);
      return;
    }
    api(`jobs/${encodeURIComponent(selected)}/metrics`)
      .then((response) => response.json() as Promise<JobMetrics>)
      .then((m) =>
        draw(
          m.history.flatMap((h) => (typeof h.values[metric] === 'number' ? [[h.step, h.values[metric] as number] as const] : [])),
          true,
        ),
      )
      .catch(offline);
    return;
  }
  const points = [...jobs.values()].flatMap((job) => {
    const x = job.params[param];
    const y = job.metrics?.[metric];
    return typeof x === 'number' && typeof y === 'number' ? [[x, y] as const] : [];
  });
  draw(points, false);
}

function draw(points: readonly (readonly [number, number])[], line: boolean): void {
  if (!points.length) {
    say('Nothing to plot yet.');
    return;
  }
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const sx = (x: number) => 30 + (x1 === x0 ? 170 : ((x - x0) / (x1 - x0)) * 350);
  const sy = (y: number) => 220 - (y1 === y0 ? 100 : ((y - y0) / (y1 - y0)) * 200);
  const marks = line
    ? [svg('polyline', { fill: 'none', stroke: '#1570ef', 'stroke-width': '2', points: points.map((p) => `${sx(p[0])},${sy(p[1])}`).join(' ') })]
    : points.map((p) => svg('circle', { r: '4', fill: '#1570ef', cx: String(sx(p[0])), cy: String(sy(p[1])) }));
  const label = (x: number, y: number, value: number) => svg('text', { x: String(x), y: String(y), 'font-size': '10', fill: '#667085', text: String(value) });
  replace(byId('chart'), [
    svg('line', { x1: '30', y1: '220', x2: '390', y2: '220', stroke: '#e4e7ec' }),
    svg('line', { x1: '30', y1: '10', x2: '30', y2: '220', stroke: '#e4e7ec' }),
    label(32, 236, x0),
    label(360, 236, x1),
    label(2, 18, +y1.toPrecision(3)),
    label(2, 218, +y0.toPrecision(3)),
    ...marks,
  ]);
}

/** The daemon stops serving when its batch ends (exit_on_finish): the page says so instead of failing silently. */
function offline(): void {
  byId('progress').textContent = 'the daemon no longer answers; what is shown may be out of date';
}

async function loadJobs(): Promise<void> {
  const page = (await (await api('jobs')).json()) as { jobs: JobInfo[] };
  jobs.clear();
  for (const job of page.jobs) jobs.set(job.name, job);
  renderJobs();
}

async function loadBatch(): Promise<void> {
  batch = (await (await api('batch')).json()) as BatchInfo;
  renderSummary();
}

/** A job changed status: the counts follow without asking the daemon. */
function recount(from: Status | undefined, to: Status): void {
  if (!batch || from === to) return;
  const counts = { ...batch.counts };
  if (from) counts[from]--;
  counts[to]++;
  batch = { ...batch, counts };
  renderSummary();
}

function showLog(name: string): void {
  selected = name;
  logOffset = 0;
  byId('log-name').textContent = name;
  const log = byId('log');
  log.textContent = '';
  log.classList.remove('muted');
  clearTimeout(logTimer);
  for (const [job, tr] of rows) tr.classList.toggle('selected', job === name);
  renderChart();
  followLog();
}

function followLog(): void {
  if (!selected) return;
  const name = selected;
  const stream = byId<HTMLInputElement>('stderr').checked ? 'stderr' : 'stdout';
  api(`jobs/${encodeURIComponent(name)}/logs/${stream}?offset=${logOffset}&length=262144`)
    .then(async (response) => {
      const status = response.headers.get('x-job-status');
      const chunk = await response.text();
      if (name !== selected) return;
      logOffset += new TextEncoder().encode(chunk).length;
      const log = byId('log');
      const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
      log.textContent += chunk;
      if (atEnd) log.scrollTop = log.scrollHeight;
      if (status === 'running' || status === 'init' || chunk.length > 0) logTimer = window.setTimeout(followLog, 1000);
    })
    .catch(() => {
      logTimer = window.setTimeout(followLog, 2000);
    });
}

byId('jobs').addEventListener('click', (event) => {
  const target = event.target as Element;
  const kill = target.closest<HTMLButtonElement>('[data-kill]');
  if (kill) {
    kill.disabled = true;
    api(`jobs/${encodeURIComponent(kill.dataset.kill!)}/kill`, { method: 'POST' }).catch(() => {
      kill.disabled = false;
    });
    return;
  }
  const th = target.closest<HTMLElement>('th[data-key]');
  if (th) {
    sortDesc = th.dataset.key === sortKey ? !sortDesc : false;
    sortKey = th.dataset.key!;
    renderJobs();
    return;
  }
  const tr = target.closest<HTMLElement>('tr[data-job]');
  if (tr) showLog(tr.dataset.job!);
});
byId('filter').addEventListener('input', renderJobs);
byId('status').addEventListener('change', renderJobs);
byId('column-list').addEventListener('change', (event) => {
  const box = event.target as HTMLInputElement;
  const key = box.dataset.column;
  if (!key) return;
  if (box.checked) hidden.delete(key);
  else hidden.add(key);
  renderJobs();
});
byId('metric').addEventListener('change', renderChart);
byId('param').addEventListener('change', renderChart);
byId('stderr').addEventListener('change', () => {
  if (selected) showLog(selected);
});

Promise.all([loadBatch(), loadJobs()])
  .then(() => {
    const events = new EventSource('api/v1/events');
    events.addEventListener('job:start', (event) => {
      const started = JSON.parse(event.data) as { job: string; host: string };
      const before = jobs.get(started.job)?.status;
      update({ ...jobs.get(started.job)!, status: 'running', host: started.host });
      recount(before, 'running');
    });
    events.addEventListener('job:exit', (event) => {
      const ended = JSON.parse(event.data) as JobInfo;
      const before = jobs.get(ended.name)?.status;
      update(ended);
      recount(before, ended.status);
    });
    events.addEventListener('batch:end', (event) => {
      batch = JSON.parse(event.data) as BatchInfo;
      renderSummary();
    });
    // Elapsed time and ETA move on between events.
    setInterval(() => {
      if (batch?.status === 'running') loadBatch().catch(offline);
    }, 1000);
  })
  .catch(offline);
