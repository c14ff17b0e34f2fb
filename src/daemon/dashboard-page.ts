import { createHash } from 'node:crypto';

/**
 * The dashboard the daemon serves at the portal's root: one self-contained page, no framework, no
 * CDN. It reads the native API relative to its own URL (so the token in the path authenticates
 * it) and follows the event stream, so it never reloads. Plain string concatenation in its script
 * keeps it free of `${`, which this template string would otherwise take for its own.
 */

/** The page's stylesheet. */
const style = `
  :root { --fg: #1d2330; --muted: #667085; --line: #e4e7ec; --bg: #f8f9fb; --ok: #12805c; --bad: #c4320a; --run: #1570ef; --warn: #b54708; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
  header { padding: 12px 20px; background: #fff; border-bottom: 1px solid var(--line); display: flex; gap: 24px; align-items: center; flex-wrap: wrap; }
  h1 { font-size: 16px; margin: 0; }
  .bar { flex: 1; min-width: 200px; height: 10px; background: var(--line); border-radius: 5px; overflow: hidden; display: flex; }
  .bar span { display: block; height: 100%; }
  .counts span { margin-right: 12px; }
  main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(280px, 2fr); gap: 16px; padding: 16px 20px; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px; min-width: 0; }
  h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
  th { cursor: pointer; user-select: none; color: var(--muted); font-weight: 600; }
  tr.job { cursor: pointer; } tr.job:hover { background: var(--bg); } tr.selected { background: #eef4ff; }
  .st-succeed { color: var(--ok); } .st-failed { color: var(--bad); } .st-running { color: var(--run); } .st-killed { color: var(--warn); } .st-init { color: var(--muted); }
  .tools { display: flex; gap: 8px; margin-bottom: 8px; flex-wrap: wrap; }
  input, select, button { font: inherit; padding: 3px 6px; }
  button.kill { color: var(--bad); border: 1px solid var(--bad); background: #fff; border-radius: 4px; cursor: pointer; }
  pre { background: #0f1420; color: #d6dae3; padding: 8px; border-radius: 6px; height: 260px; overflow: auto; margin: 0; font-size: 12px; }
  .scroll { overflow: auto; max-height: 70vh; }
  svg { width: 100%; height: 240px; background: #fff; }
  .muted { color: var(--muted); }
  .below { margin-top: 16px; }
`;

/** The page's script: plain ES5, built from DOM calls. */
const script = `
(function () {
  var jobs = [], batch = null, sortKey = 'name', sortDesc = false, selected = null, logOffset = 0, logTimer = null;
  var statuses = ['succeed', 'failed', 'killed', 'running', 'init'];
  var colors = { succeed: '#12805c', failed: '#c4320a', killed: '#b54708', running: '#1570ef', init: '#e4e7ec' };
  function $(id) { return document.getElementById(id); }
  // Every node is built with DOM calls and text goes in as textContent: no job-controlled text is ever parsed as HTML.
  function el(tag, attrs, children) {
    var node = tag.indexOf('svg:') === 0 ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4)) : document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') node.textContent = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }
  function replace(parent, children) {
    var fragment = document.createDocumentFragment();
    children.forEach(function (c) { if (c) fragment.appendChild(c); });
    parent.replaceChildren(fragment);
  }
  function api(path, options) {
    return fetch('api/v1/' + path, options).then(function (r) {
      if (!r.ok) throw new Error(path + ': HTTP ' + r.status);
      return r;
    });
  }
  function text(v) { return v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v); }
  function fmt(ms) {
    if (ms === null || ms === undefined) return '';
    var s = ms / 1000;
    return s < 60 ? s.toFixed(1) + 's' : s < 3600 ? Math.floor(s / 60) + 'm' + Math.round(s % 60) + 's' : Math.floor(s / 3600) + 'h' + Math.round((s % 3600) / 60) + 'm';
  }
  function varyingParams() {
    var keys = {};
    jobs.forEach(function (j) { Object.keys(j.params).forEach(function (k) { keys[k] = keys[k] || {}; keys[k][JSON.stringify(j.params[k])] = 1; }); });
    return Object.keys(keys).filter(function (k) { return Object.keys(keys[k]).length > 1; });
  }
  function metricKeys() {
    var keys = {};
    jobs.forEach(function (j) { Object.keys(j.metrics || {}).forEach(function (k) { keys[k] = 1; }); });
    return Object.keys(keys);
  }
  function value(job, key) {
    if (key === 'name' || key === 'status' || key === 'host') return job[key];
    if (key === 'duration') return job.durationMs;
    if (job.metrics && key in job.metrics) return job.metrics[key];
    return job.params[key];
  }
  function renderSummary() {
    if (!batch) return;
    var c = batch.counts, done = c.succeed + c.failed + c.killed;
    $('title').textContent = 'hyperctl · ' + batch.name + ' · ' + batch.status;
    replace($('bar'), statuses.map(function (s) {
      if (!c[s]) return null;
      var span = el('span');
      span.style.width = (100 * c[s] / c.total) + '%';
      span.style.background = colors[s];
      return span;
    }));
    var pct = c.total ? Math.round((100 * done) / c.total) : 100;
    var eta = done > 0 && done < c.total && batch.status === 'running' ? ' · ETA ' + fmt((batch.elapsedMs / done) * (c.total - done)) : '';
    $('progress').textContent = pct + '% · ' + done + '/' + c.total + ' done · ' + fmt(batch.elapsedMs) + eta;
    $('progress').dataset.percent = String(pct);
    replace($('counts'), statuses.map(function (s) { return el('span', { class: 'st-' + s, text: c[s] + ' ' + s }); }));
  }
  function renderJobs() {
    var params = varyingParams(), metrics = metricKeys();
    var columns = ['name', 'status', 'host', 'duration'].concat(params, metrics);
    replace($('jobs').tHead, [el('tr', {}, columns.map(function (k) {
      return el('th', { 'data-key': k, text: k + (k === sortKey ? (sortDesc ? ' ▼' : ' ▲') : '') });
    }).concat([el('th')]))]);
    var filter = $('filter').value.toLowerCase(), status = $('status').value;
    var rows = jobs.filter(function (j) {
      if (status && j.status !== status) return false;
      return !filter || (j.name + ' ' + JSON.stringify(j.params) + ' ' + JSON.stringify(j.metrics || {})).toLowerCase().indexOf(filter) >= 0;
    });
    rows.sort(function (a, b) {
      var x = value(a, sortKey), y = value(b, sortKey);
      if (x === undefined || x === null || y === undefined || y === null) return x === y ? 0 : x === undefined || x === null ? 1 : -1;
      var order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true });
      return sortDesc ? -order : order;
    });
    replace($('jobs').tBodies[0], rows.map(function (j) {
      var cells = columns.map(function (k) {
        var v = k === 'duration' ? fmt(j.durationMs) : text(value(j, k));
        return el('td', k === 'status' ? { class: 'st-' + j.status, text: v } : { text: v });
      });
      var kill = j.status === 'running' ? el('button', { class: 'kill', 'data-kill': j.name, text: 'kill' }) : null;
      return el('tr', { class: 'job' + (j.name === selected ? ' selected' : ''), 'data-job': j.name }, cells.concat([el('td', {}, [kill])]));
    }));
    renderChartControls(params, metrics);
  }
  function renderChartControls(params, metrics) {
    [['metric', metrics], ['param', params.concat(['step'])]].forEach(function (pair) {
      var select = $(pair[0]), current = select.value, options = pair[1];
      if (select.dataset.options === options.join(',')) return;
      select.dataset.options = options.join(',');
      replace(select, options.map(function (o) { return new Option(o, o); }));
      if (options.indexOf(current) >= 0) select.value = current;
    });
    renderChart();
  }
  function renderChart() {
    var metric = $('metric').value, param = $('param').value;
    if (!metric) return say('No metrics yet.');
    if (param === 'step') {
      if (!selected) return say('Choose a job to see ' + metric + ' over its steps.');
      api('jobs/' + encodeURIComponent(selected) + '/metrics').then(function (r) { return r.json(); }).then(function (m) {
        var points = m.history.filter(function (h) { return typeof h.values[metric] === 'number'; }).map(function (h) { return [h.step, h.values[metric]]; });
        draw(points, true);
      }).catch(offline);
      return;
    }
    draw(jobs.filter(function (j) { return j.metrics && typeof j.metrics[metric] === 'number' && typeof j.params[param] === 'number'; }).map(function (j) { return [j.params[param], j.metrics[metric]]; }), false);
  }
  function say(message) {
    replace($('chart'), [el('svg:text', { x: '10', y: '20', fill: '#667085', text: message })]);
  }
  function draw(points, line) {
    if (!points.length) return say('Nothing to plot yet.');
    var xs = points.map(function (p) { return p[0]; }), ys = points.map(function (p) { return p[1]; });
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs), y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys);
    function sx(x) { return 30 + (x1 === x0 ? 170 : ((x - x0) / (x1 - x0)) * 350); }
    function sy(y) { return 220 - (y1 === y0 ? 100 : ((y - y0) / (y1 - y0)) * 200); }
    var marks = line
      ? [el('svg:polyline', { fill: 'none', stroke: '#1570ef', 'stroke-width': '2', points: points.map(function (p) { return sx(p[0]) + ',' + sy(p[1]); }).join(' ') })]
      : points.map(function (p) { return el('svg:circle', { r: '4', fill: '#1570ef', cx: String(sx(p[0])), cy: String(sy(p[1])) }); });
    function label(x, y, t) { return el('svg:text', { x: String(x), y: String(y), 'font-size': '10', fill: '#667085', text: String(t) }); }
    replace($('chart'), [
      el('svg:line', { x1: '30', y1: '220', x2: '390', y2: '220', stroke: '#e4e7ec' }),
      el('svg:line', { x1: '30', y1: '10', x2: '30', y2: '220', stroke: '#e4e7ec' }),
      label(32, 236, x0), label(360, 236, x1), label(2, 18, +y1.toPrecision(3)), label(2, 218, +y0.toPrecision(3)),
    ].concat(marks));
  }
  function loadJobs() {
    return api('jobs').then(function (r) { return r.json(); }).then(function (page) { jobs = page.jobs; renderJobs(); });
  }
  // The daemon stops serving when its batch ends (exit_on_finish): the page says so instead of failing silently.
  function offline() { $('progress').textContent = 'the daemon no longer answers; what is shown may be out of date'; }
  function loadBatch() {
    return api('batch').then(function (r) { return r.json(); }).then(function (b) { batch = b; renderSummary(); });
  }
  function upsert(job) {
    var i = jobs.findIndex(function (j) { return j.name === job.name; });
    if (i >= 0) jobs[i] = Object.assign({}, jobs[i], job); else jobs.push(job);
  }
  function showLog(name) {
    selected = name; logOffset = 0;
    $('log-name').textContent = name; $('log').textContent = ''; $('log').classList.remove('muted');
    clearTimeout(logTimer);
    renderJobs();
    followLog();
  }
  function followLog() {
    if (!selected) return;
    var name = selected, stream = $('stderr').checked ? 'stderr' : 'stdout';
    api('jobs/' + encodeURIComponent(name) + '/logs/' + stream + '?offset=' + logOffset + '&length=262144').then(function (r) {
      var status = r.headers.get('x-job-status');
      return r.text().then(function (t) {
        if (name !== selected) return;
        logOffset += new TextEncoder().encode(t).length;
        var log = $('log'), atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
        log.textContent += t;
        if (atEnd) log.scrollTop = log.scrollHeight;
        if (status === 'running' || status === 'init' || t.length > 0) logTimer = setTimeout(followLog, 1000);
      });
    }).catch(function () { logTimer = setTimeout(followLog, 2000); });
  }
  $('jobs').addEventListener('click', function (e) {
    var kill = e.target.closest('[data-kill]');
    if (kill) { kill.disabled = true; api('jobs/' + encodeURIComponent(kill.dataset.kill) + '/kill', { method: 'POST' }).catch(function () { kill.disabled = false; }); return; }
    var th = e.target.closest('th[data-key]');
    if (th) { sortDesc = th.dataset.key === sortKey ? !sortDesc : false; sortKey = th.dataset.key; renderJobs(); return; }
    var row = e.target.closest('tr[data-job]');
    if (row) showLog(row.dataset.job);
  });
  $('filter').addEventListener('input', renderJobs);
  $('status').addEventListener('change', renderJobs);
  $('metric').addEventListener('change', renderChart);
  $('param').addEventListener('change', renderChart);
  $('stderr').addEventListener('change', function () { if (selected) showLog(selected); });
  Promise.all([loadBatch(), loadJobs()]).then(function () {
    var events = new EventSource('api/v1/events');
    events.addEventListener('job:start', function (e) { var d = JSON.parse(e.data); upsert({ name: d.job, status: 'running', host: d.host }); renderJobs(); });
    events.addEventListener('job:exit', function (e) { upsert(JSON.parse(e.data)); renderJobs(); loadBatch().catch(offline); });
    events.addEventListener('batch:end', function (e) { batch = JSON.parse(e.data); renderSummary(); });
    setInterval(function () { if (batch && batch.status === 'running') loadBatch().catch(offline); }, 1000);
  }).catch(offline);
})();
`;

/** The page; its style and script are inline, allowed by their hashes alone. */
export const dashboardPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>hyperctl</title>
<style>${style}</style>
</head>
<body>
<header>
  <h1 id="title">hyperctl</h1>
  <div class="bar" id="bar" title="progress"></div>
  <div id="progress" class="muted"></div>
  <div class="counts" id="counts"></div>
</header>
<main>
  <section>
    <h2>Jobs</h2>
    <div class="tools">
      <input id="filter" placeholder="filter by name, param or metric" size="28">
      <select id="status"><option value="">every status</option><option>running</option><option>succeed</option><option>failed</option><option>killed</option><option>init</option></select>
    </div>
    <div class="scroll"><table id="jobs"><thead></thead><tbody></tbody></table></div>
  </section>
  <div>
    <section>
      <h2>Chart</h2>
      <div class="tools">
        <label>metric <select id="metric"></select></label>
        <label>against <select id="param"></select></label>
      </div>
      <svg id="chart" viewBox="0 0 400 240" preserveAspectRatio="none"></svg>
    </section>
    <section class="below">
      <h2>Log <span id="log-name" class="muted"></span></h2>
      <div class="tools"><label><input type="checkbox" id="stderr"> stderr</label></div>
      <pre id="log" class="muted">Choose a job to see its output.</pre>
    </section>
  </div>
</main>
<script>${script}</script>
</body>
</html>
`;

/** The hash a Content-Security-Policy names to allow one inline block. */
function cspHash(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/**
 * The page's Content-Security-Policy: its own inline script and style by hash, nothing inline
 * besides, requests only to its own origin, no framing.
 */
export const dashboardCsp = `default-src 'none'; script-src ${cspHash(script)}; style-src ${cspHash(style)}; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
