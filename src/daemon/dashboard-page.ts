import { createHash } from 'node:crypto';
import script from '../dashboard/app.ts?inline-script';
import style from '../dashboard/style.css?inline-text';

/**
 * The dashboard the daemon serves at the portal's root: one self-contained page, no framework, no
 * CDN. It reads the native API relative to its own URL (so the token in the path authenticates
 * it) and follows the event stream, so it never reloads. Its script (`src/dashboard/app.ts`) and
 * stylesheet are files of their own, inlined here as strings when the package is built.
 */

/** The page; its style and script are inline, allowed by their hashes alone. */
export const dashboardPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>hyperctl</title>
<link rel="icon" href="data:,">
<style>${style}</style>
</head>
<body data-state="loading">
<header>
  <h1 id="title">hyperctl</h1>
  <span id="readonly" class="badge" hidden>read-only · served from disk</span>
  <span id="paused" class="badge paused" hidden>paused</span>
  <button id="pause" class="steer" type="button" hidden>pause</button>
  <div class="bar" id="bar" title="progress"></div>
  <div id="progress" class="muted">loading the batch…</div>
  <div class="counts" id="counts"></div>
</header>
<main>
  <section class="wide">
    <h2>Params and metric</h2>
    <div class="tools">
      <label>metric <select id="metric"></select></label>
      <label>goal <select id="goal"><option>min</option><option>max</option></select></label>
      <label id="colour-by-label" hidden>colour by <select id="colour-by"><option value="rank">Pareto rank</option><option value="metric">the metric</option></select></label>
      <button id="clear-brushes" hidden>clear brushes</button>
      <span class="muted hint">drag along an axis to filter; click it to clear</span>
    </div>
    <div class="figure" id="parallel"><canvas></canvas><svg></svg><div class="tip" hidden></div></div>
  </section>
  <section id="front-section" hidden>
    <h2>Pareto front</h2>
    <div class="tools"><label>x <select id="front-x"></select></label> <label>y <select id="front-y"></select></label> <span class="muted hint">bright: no trial beats it in every objective</span></div>
    <div class="figure" id="front"><canvas></canvas><svg></svg><div class="tip" hidden></div></div>
  </section>
  <section>
    <h2>Metric against a param</h2>
    <div class="tools"><label>param <select id="param"></select></label> <label>beside <select id="overlay"><option value="">no other batch</option></select></label></div>
    <div class="figure" id="scatter"><canvas></canvas><svg></svg><div class="tip" hidden></div></div>
  </section>
  <section>
    <h2>Metric over two params</h2>
    <div class="tools"><label>x <select id="contour-x"></select></label> <label>y <select id="contour-y"></select></label></div>
    <div class="figure" id="contour"><canvas></canvas><svg></svg><div class="tip" hidden></div></div>
  </section>
  <section>
    <h2>Which params matter</h2>
    <div class="tools"><button id="weigh" type="button">weigh the params</button> <span id="weigh-note" class="muted">each param's share of the metric's variance (fANOVA)</span></div>
    <ol id="importance"></ol>
  </section>
  <section>
    <h2>Progress</h2>
    <div class="tools">
      <select id="curve-mode"><option value="steps">over steps: the best jobs and the one chosen</option><option value="best">best so far, over the trials</option></select>
    </div>
    <div class="figure" id="curves"><canvas></canvas><svg></svg><div class="tip" hidden></div></div>
    <ul id="curve-legend"></ul>
  </section>
  <section class="wide">
    <h2>Jobs <span id="shown" class="muted"></span></h2>
    <div id="shared" class="muted"></div>
    <div class="tools">
      <input id="filter" placeholder="filter by name, param or metric" size="28">
      <select id="status"><option value="">every status</option><option>running</option><option>succeed</option><option>failed</option><option>killed</option><option>pruned</option><option>init</option></select>
      <details id="chooser"><summary>columns</summary><div id="column-list"></div></details>
    </div>
    <div class="scroll" id="table-scroll"><div id="sizer"><table id="jobs"><thead></thead><tbody></tbody></table></div></div>
  </section>
  <section class="wide">
    <h2>Log <span id="log-name" class="muted"></span></h2>
    <div class="tools"><label><input type="checkbox" id="stderr"> stderr</label></div>
    <pre id="log" class="muted">Choose a job to see its output.</pre>
  </section>
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
