/*
 * The dashboard's script, run in the browser. It reads the daemon's native API relative to the
 * page's own address (the token in the path authenticates it) and follows its event stream.
 * Events change the model at once; the page is drawn from it at most once a second, so a
 * stream of metrics does not keep the browser busy.
 */
import type { BatchInfo, JobInfo } from '../wire/protocol.js';
import { api, offline } from './api.js';
import { curveJobs, drawBestSoFar, drawCurves, followCurveHover } from './curves.js';
import { byId, el, replace } from './dom.js';
import { followWidth } from './figure.js';
import { guessGoal } from '../results/objective.js';
import { paramImportances, valuedParams } from '../results/importance.js';
import { followFeed } from './live-feed.js';
import { LogView } from './log-view.js';
import { fieldOf, type History, metricKeys, model, paramAxes, paramValues, sharedParams, varyingParams, visible } from './model.js';
import { naturalCompare } from './natural-sort.js';
import { drawParallel, followBrushing } from './parallel.js';
import { Redraw } from './redraw.js';
import { drawScatter, followScatterHover } from './scatter.js';
import { drawContour } from './contour.js';
import { drawFront, followFrontHover } from './front.js';
import { paretoRanksOf } from '../results/job-ranks.js';
import { renderSummary } from './summary.js';
import { JobTable } from './table.js';
import type { Status } from './theme.js';

// The page's parts; what they show is in the model.
const table = new JobTable(byId('table-scroll'), byId('sizer'), byId<HTMLTableElement>('jobs'));
const logView = new LogView();
const redraw = new Redraw(render, renderCurves);

function compare(a: JobInfo, b: JobInfo): number {
  const x = fieldOf(a, model.sortKey);
  const y = fieldOf(b, model.sortKey);
  if (x === undefined || x === null || y === undefined || y === null) return x === y ? 0 : x === undefined || x === null ? 1 : -1;
  const order = typeof x === 'number' && typeof y === 'number' ? x - y : naturalCompare(String(x), String(y));
  return model.sortDesc ? -order : order;
}

/** A select's options, kept when they have not changed (so the reader's choice stays). */
function options(select: HTMLSelectElement, values: readonly string[], preferred: string): void {
  if (select.dataset.options !== values.join('\0')) {
    const current = select.value;
    select.dataset.options = values.join('\0');
    replace(
      select,
      values.map((value) => new Option(value, value)),
    );
    select.value = values.includes(current) ? current : values.includes(preferred) ? preferred : (values[0] ?? '');
  }
}

/**
 * The metric the charts show: the reader's choice, else the batch's objective (a search of
 * several: its first), else the first. Its goal: the batch's own for it, else a guess from its name.
 */
function chooseMetric(metrics: readonly string[]): void {
  const stated = [...(model.batch?.objective ? [model.batch.objective] : []), ...(model.batch?.search?.objectives ?? [])];
  const metricSelect = byId<HTMLSelectElement>('metric');
  options(metricSelect, metrics, stated[0]?.metric ?? '');
  if (metricSelect.value !== model.metric) {
    model.metric = metricSelect.value;
    model.goal = stated.find((objective) => objective.metric === model.metric)?.goal ?? guessGoal(model.metric);
    byId<HTMLSelectElement>('goal').value = model.goal;
  }
}

/** Draws everything from the model. */
function render(): void {
  const values = paramValues();
  const params = varyingParams(values);
  const metrics = metricKeys();
  chooseMetric(metrics);
  const all = [...model.jobs.values()];
  const objectives = model.batch?.search?.objectives;
  // Ranked over every job, as `batch compare` ranks them, whatever the filters show.
  model.ranks = objectives ? new Map([...paretoRanksOf(all, objectives)].map(([job, rank]) => [job.name, rank])) : new Map();
  model.columns = ['name', 'status', ...(objectives ? ['rank'] : []), 'host', 'duration', ...params, ...metrics];
  byId('shared').textContent = sharedParams(values);
  renderColumnChooser();
  const rows = all.filter(visible).sort(compare);
  table.show(
    rows,
    model.columns.filter((key) => key === 'name' || !model.hidden.has(key)),
  );
  byId('shown').textContent = rows.length === all.length ? `${all.length} jobs` : `${rows.length} of ${all.length} jobs shown`;
  byId('clear-brushes').hidden = model.brushes.size === 0;
  renderCharts(params, all, rows);
}

function renderColumnChooser(): void {
  const list = byId('column-list');
  const keys = model.columns.filter((key) => key !== 'name');
  if (list.dataset.columns === keys.join('\0')) return;
  list.dataset.columns = keys.join('\0');
  replace(
    list,
    keys.map((key) => {
      const box = el('input', { type: 'checkbox', 'data-column': key });
      box.checked = !model.hidden.has(key);
      return el('label', {}, [box, document.createTextNode(key)]);
    }),
  );
}

/** In a search of several objectives: the front drawn on the two objectives chosen. */
function renderFront(rows: readonly JobInfo[]): void {
  const objectives = model.batch?.search?.objectives;
  byId('front-section').hidden = !objectives;
  byId('colour-by-label').hidden = !objectives;
  if (!objectives) return;
  model.colourBy = byId<HTMLSelectElement>('colour-by').value === 'metric' ? 'metric' : 'rank';
  const names = objectives.map((o) => o.metric);
  const [xSelect, ySelect] = [byId<HTMLSelectElement>('front-x'), byId<HTMLSelectElement>('front-y')];
  options(xSelect, names, names[0]!);
  options(ySelect, names, names[1]!);
  drawFront(byId('front'), rows, xSelect.value, ySelect.value);
}

function renderCharts(params: readonly string[], all: readonly JobInfo[], rows: readonly JobInfo[]): void {
  renderFront(rows);
  const axes = paramAxes(params);
  drawParallel(byId('parallel'), axes, all, render);
  const paramSelect = byId<HTMLSelectElement>('param');
  options(
    paramSelect,
    axes.map((axis) => axis.name),
    axes[0]?.name ?? '',
  );
  drawScatter(
    byId('scatter'),
    axes.find((axis) => axis.name === paramSelect.value),
    rows,
  );
  // The heat map's axes: the numeric params, the first two by default.
  const numeric = axes.filter((axis) => all.some((job) => typeof axis.read(job) === 'number')).map((axis) => axis.name);
  const [xSelect, ySelect] = [byId<HTMLSelectElement>('contour-x'), byId<HTMLSelectElement>('contour-y')];
  options(xSelect, numeric, numeric[0] ?? '');
  options(ySelect, numeric, numeric[1] ?? '');
  drawContour(
    byId('contour'),
    axes.find((axis) => axis.name === xSelect.value),
    axes.find((axis) => axis.name === ySelect.value),
    rows,
  );
  model.shownRows = rows;
  renderCurves();
}

function renderCurves(): void {
  if (byId<HTMLSelectElement>('curve-mode').value === 'best') drawBestSoFar(byId('curves'), byId('curve-legend'), [...model.jobs.values()]);
  else {
    const shown = curveJobs(model.shownRows);
    loadHistories(shown);
    drawCurves(byId('curves'), byId('curve-legend'), shown);
  }
}

/** Fetches the histories of jobs drawn that the page lacks; draws again when they come. */
function loadHistories(shown: readonly JobInfo[]): void {
  for (const job of shown) {
    if (model.histories.has(job.name) || model.fetching.has(job.name)) continue;
    model.fetching.add(job.name);
    api(`jobs/${encodeURIComponent(job.name)}/metrics`)
      .then((response) => response.json() as Promise<{ history: History }>)
      .then((metrics) => {
        model.histories.set(job.name, metrics.history);
        redraw.soon('curves');
      })
      .catch(offline)
      .finally(() => model.fetching.delete(job.name));
  }
}

/** Puts a job's new state in the model. */
function update(job: JobInfo): void {
  const before = model.jobs.get(job.name);
  model.jobs.set(job.name, { ...before, ...job });
  redraw.soon();
}

async function loadJobs(): Promise<void> {
  const page = (await (await api('jobs')).json()) as { jobs: JobInfo[] };
  model.jobs.clear();
  for (const job of page.jobs) model.jobs.set(job.name, job);
}

/** The other batches of the folder, to draw one beside this one; a page served without them offers none. */
async function loadOtherBatches(): Promise<void> {
  const { batches } = (await (await api('batches')).json()) as { batches: { name: string }[] };
  const select = byId<HTMLSelectElement>('overlay');
  replace(select, [new Option('no other batch', ''), ...batches.map(({ name }) => new Option(name, name))]);
}

/** Draws another batch's jobs beside this one's (none: `name` empty). */
async function overlay(name: string): Promise<void> {
  model.overlay = name ? { name, jobs: ((await (await api(`batches/${encodeURIComponent(name)}/jobs`)).json()) as { jobs: JobInfo[] }).jobs } : null;
  redraw.soon();
}

async function loadBatch(): Promise<void> {
  model.batch = (await (await api('batch')).json()) as BatchInfo;
  renderSummary();
}

/** A job changed status: the counts follow without asking the daemon. */
function recount(from: Status | undefined, to: Status): void {
  const { batch } = model;
  if (!batch || from === to) return;
  const counts = { ...batch.counts };
  if (from) counts[from]--;
  counts[to]++;
  model.batch = { ...batch, counts };
  renderSummary();
}

function showLog(name: string): void {
  model.selected = name;
  table.select(name);
  redraw.soon();
  logView.show(name);
}

/**
 * Weighs the params of the jobs that succeeded with the chosen metric, as `batch importance`
 * does (the same jobs in the same order give the same shares), and lists them, largest first.
 */
function weighParams(): void {
  const metric = model.metric;
  const rows = valuedParams(model.jobs.values(), metric);
  const list = byId('importance');
  const note = byId('weigh-note');
  if (rows.length < 2) {
    replace(list, []);
    note.textContent = `needs two succeeded jobs with a numeric ${metric} or more; there are ${rows.length}`;
    return;
  }
  const found = paramImportances(rows);
  note.textContent = `${metric}: each param's share of its variance, over ${rows.length} succeeded jobs`;
  list.dataset.metric = metric;
  replace(
    list,
    found.map(({ param, importance }) => {
      const bar = el('span', { class: 'share-bar' });
      // Set through the style object: the page's policy allows no style attributes in markup.
      bar.style.width = `${(importance * 100).toFixed(1)}%`;
      return el('li', { 'data-param': param, 'data-share': String(importance) }, [
        el('span', { class: 'param' }, [document.createTextNode(param)]),
        el('span', { class: 'share' }, [document.createTextNode(`${(importance * 100).toFixed(1)}%`)]),
        el('span', {}, [bar]),
      ]);
    }),
  );
}

byId('weigh').addEventListener('click', () => {
  const button = byId<HTMLButtonElement>('weigh');
  button.disabled = true;
  byId('weigh-note').textContent = 'weighing…';
  // After the page has said so: a forest of 2,000 jobs takes a second or two.
  setTimeout(() => {
    try {
      weighParams();
    } finally {
      button.disabled = false;
    }
  }, 20);
});

byId('pause').addEventListener('click', () => {
  const button = byId<HTMLButtonElement>('pause');
  button.disabled = true;
  api(`batch/${button.dataset.action === 'resume' ? 'resume' : 'pause'}`, { method: 'POST' })
    .then(async (response) => {
      model.batch = (await response.json()) as BatchInfo;
      renderSummary();
    })
    .catch(() => undefined)
    .finally(() => {
      button.disabled = false;
    });
});

byId('jobs').addEventListener('click', (event) => {
  const target = event.target as Element;
  const retry = target.closest<HTMLButtonElement>('[data-retry]');
  if (retry) {
    retry.disabled = true;
    // The row shows the job waiting once the list is read again (the batch:steer event); its start comes as an event.
    api(`jobs/${encodeURIComponent(retry.dataset.retry!)}/retry`, { method: 'POST' }).catch(() => {
      retry.disabled = false;
    });
    return;
  }
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
    model.sortDesc = th.dataset.key === model.sortKey ? !model.sortDesc : false;
    model.sortKey = th.dataset.key!;
    render();
    return;
  }
  const tr = target.closest<HTMLElement>('tr[data-job]');
  if (tr) showLog(tr.dataset.job!);
});
byId('curve-legend').addEventListener('click', (event) => {
  const item = (event.target as Element).closest<HTMLElement>('li[data-job]');
  if (item) showLog(item.dataset.job!);
});
byId<HTMLInputElement>('filter').addEventListener('input', (event) => {
  model.filter = (event.target as HTMLInputElement).value;
  render();
});
byId<HTMLSelectElement>('status').addEventListener('change', (event) => {
  model.status = (event.target as HTMLSelectElement).value;
  render();
});
byId('column-list').addEventListener('change', (event) => {
  const box = event.target as HTMLInputElement;
  const key = box.dataset.column;
  if (!key) return;
  if (box.checked) model.hidden.delete(key);
  else model.hidden.add(key);
  render();
});
byId('metric').addEventListener('change', () => render());
byId<HTMLSelectElement>('goal').addEventListener('change', (event) => {
  model.goal = (event.target as HTMLSelectElement).value === 'max' ? 'max' : 'min';
  render();
});
byId('clear-brushes').addEventListener('click', () => {
  model.brushes.clear();
  render();
});
byId('param').addEventListener('change', () => render());
byId<HTMLSelectElement>('overlay').addEventListener('change', (event) => {
  overlay((event.target as HTMLSelectElement).value).catch(offline);
});
byId('contour-x').addEventListener('change', () => render());
for (const id of ['front-x', 'front-y', 'colour-by']) byId(id).addEventListener('change', () => render());
byId('contour-y').addEventListener('change', () => render());
byId('curve-mode').addEventListener('change', renderCurves);
byId('stderr').addEventListener('change', () => {
  if (model.selected) showLog(model.selected);
});
followBrushing(byId('parallel'), render);
followScatterHover(byId('scatter'));
followFrontHover(byId('front'), () => model.batch?.search?.objectives?.map((o) => o.metric) ?? []);
followCurveHover(byId('curves'), () => (byId<HTMLSelectElement>('curve-mode').value === 'best' ? 'trial' : 'step'));
// Charts fit their section's width: drawn again when it changes.
for (const id of ['parallel', 'front', 'scatter', 'contour', 'curves']) followWidth(byId(id), () => redraw.soon());

const feed = followFeed('api/v1/events', {
  load: async (first) => {
    await Promise.all([loadBatch(), loadJobs()]);
    // A search is seen best by its progress: the best value so far over its trials.
    if (first && model.batch?.search) byId<HTMLSelectElement>('curve-mode').value = 'best';
    // The batches to draw beside this one: an extra, so the page works without them.
    if (first) loadOtherBatches().catch(() => undefined);
    // Ranked as `batch compare` ranks it: by the batch's objective, best first (several: by Pareto rank), until the reader sorts.
    const objective = model.batch?.objective;
    if (first && objective) [model.sortKey, model.sortDesc] = [objective.metric, objective.goal === 'max'];
    if (first && model.batch?.search?.objectives) [model.sortKey, model.sortDesc] = ['rank', false];
  },
  loaded: () => {
    render();
    document.body.dataset.state = 'ready';
  },
  failed: offline,
  on: {
    'job:start': (data) => {
      const started = JSON.parse(data) as { job: string; host: string };
      const before = model.jobs.get(started.job);
      // A search's trial is new to the page when it starts.
      if (!before) void api(`jobs/${encodeURIComponent(started.job)}`).then(async (response) => update((await response.json()) as JobInfo));
      else update({ ...before, status: 'running', host: started.host });
      recount(before?.status, 'running');
    },
    'job:metrics': (data) => {
      const report = JSON.parse(data) as { job: string; step: number; values: Record<string, number | string> };
      const job = model.jobs.get(report.job);
      if (!job) return;
      model.jobs.set(report.job, { ...job, metrics: { ...job.metrics, ...report.values } });
      model.histories.get(report.job)?.push({ step: report.step, values: report.values });
      redraw.soon();
    },
    'job:exit': (data) => {
      const ended = JSON.parse(data) as JobInfo;
      const before = model.jobs.get(ended.name)?.status;
      update(ended);
      recount(before, ended.status);
    },
    // Steered (from here, the CLI or a script): the summary says paused or not; added jobs join the list.
    'batch:steer': (data) => {
      model.batch = JSON.parse(data) as BatchInfo;
      renderSummary();
      // Added jobs join the list; what the stream says while it is read is applied after it, so a
      // job that starts and ends meanwhile is not shown as it was before (a list read too early).
      feed.reload();
    },
    'batch:end': (data) => {
      model.batch = JSON.parse(data) as BatchInfo;
      renderSummary();
    },
  },
});
// Elapsed time and ETA move on between events.
setInterval(() => {
  if (model.batch?.status === 'running') loadBatch().catch(offline);
}, 1000);
