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
<style>${style}</style>
</head>
<body>
<header>
  <h1 id="title">hyperctl</h1>
  <span id="readonly" class="badge" hidden>read-only · served from disk</span>
  <div class="bar" id="bar" title="progress"></div>
  <div id="progress" class="muted"></div>
  <div class="counts" id="counts"></div>
</header>
<main>
  <section>
    <h2>Jobs</h2>
    <div id="shared" class="muted"></div>
    <div class="tools">
      <input id="filter" placeholder="filter by name, param or metric" size="28">
      <select id="status"><option value="">every status</option><option>running</option><option>succeed</option><option>failed</option><option>killed</option><option>pruned</option><option>init</option></select>
      <details id="chooser"><summary>columns</summary><div id="column-list"></div></details>
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
