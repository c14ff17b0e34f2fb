// The dashboard in headless Chromium (Debian's): how soon a batch of 10,000 finished trials is on
// screen (table, parallel coordinates, scatter and curves drawn), and how much of the page's main
// thread (its CPU time) a running batch costs while its 200 trials send 100 metric reports a
// second; and the page's weight, gzipped.
// The 10,000 trials are made by runBatch with an executor that only writes each job's metrics
// line (no processes); the 200 are real shell jobs, each reporting every two seconds.
// Usage: npm run build && node bench/dashboard.mjs [trials] [streaming]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { generateJobs, runBatch } from '../dist/index.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const trials = Number(process.argv[2] ?? 10_000);
const streaming = Number(process.argv[3] ?? 200);
const dir = mkdtempSync(join(tmpdir(), 'hyperctl-bench-'));
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

if (spawnSync('sh', ['-c', 'command -v chromium'], { stdio: 'ignore' }).status !== 0) {
  console.error('installing chromium from Debian packages…');
  spawnSync(
    'sh',
    [
      '-c',
      'apt-get install -y -q --no-install-recommends chromium >/dev/null || (apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends chromium >/dev/null)',
    ],
    {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    },
  );
}

/** Serves a finished batch from disk; resolves with its dashboard's address and a stop. */
async function serve(name) {
  const child = spawn(process.execPath, [cli, 'batch', 'serve', name, '--port', '0', '--batches-data-dir', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let said = '';
  child.stderr.on('data', (chunk) => (said += chunk));
  while (!/at (http\S+)/.test(said)) await new Promise((resolve) => setTimeout(resolve, 25));
  return { url: /at (http\S+)/.exec(said)[1], stop: () => child.kill('SIGTERM') };
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
try {
  // 10,000 finished trials of a sweep over four params.
  const side = Math.ceil(Math.sqrt(trials));
  const lrs = Array.from({ length: side }, (_, i) => 10 ** (-5 + (4 * i) / side));
  const seeds = Array.from({ length: side }, (_, i) => i);
  const jobs = [...generateJobs({ params: { lr: lrs, seed: seeds, optimizer: ['adam'] }, execution: { command: 'true' } })].slice(0, trials);
  const writer = {
    host: 'bench',
    slots: 64,
    async run(job) {
      const { lr, seed } = job.params;
      const loss = (Math.log10(lr) + 3) ** 2 + 0.01 * (seed % 10);
      writeFileSync(job.stdoutPath, `hyperctl:metrics ${JSON.stringify({ loss, accuracy: 1 / (1 + loss) })}\n`);
      job.onSpawn?.({});
      return { exitCode: 0, signal: null, killed: false };
    },
  };
  await runBatch({ name: 'many', jobs }, { batchesDataDir: dir, executors: [writer] });
  const many = await serve('many');
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const html = await (await page.request.get(many.url)).body();
  const list = await (await page.request.get(`${many.url}api/v1/jobs`)).body();
  const firstRender = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    await page.goto(many.url);
    await page.waitForFunction(
      (n) =>
        document.getElementById('parallel')?.dataset.lines === String(n) &&
        document.querySelector('#jobs tbody tr') &&
        document.getElementById('scatter')?.dataset.points === String(n),
      jobs.length,
      { timeout: 60_000, polling: 10 },
    );
    firstRender.push(performance.now() - start);
  }
  many.stop();
  await page.close();

  // 200 running trials, each reporting a metric every two seconds: 100 reports a second.
  const report = 'i=0; while true; do i=$((i + 1)); echo "hyperctl:metrics {\\"loss\\": $(( (RANDOM % 1000) + 1000 / i ))}"; sleep 2; done';
  const live = Array.from({ length: streaming }, (_, i) => ({
    name: `live-${i}`,
    params: { lr: 10 ** (-4 + (3 * i) / streaming), depth: 1 + (i % 8) },
    execution: { command: report },
  }));
  const stop = new AbortController();
  const running = runBatch({ name: 'live', jobs: live }, { batchesDataDir: dir, daemon: true, port: 0, parallelism: streaming, signal: stop.signal }).catch(
    () => undefined,
  );
  let url = '';
  while (!url) {
    const result = spawnSync(process.execPath, [cli, 'batch', 'dashboard', 'live', '--batches-data-dir', dir], { encoding: 'utf8' });
    if (result.status === 0) url = result.stdout.trim();
    else await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const livePage = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await livePage.goto(url);
  await livePage.waitForFunction(
    (n) => document.querySelectorAll('#jobs .st-running').length > 0 && document.getElementById('parallel')?.dataset.lines === String(n),
    streaming,
    {
      timeout: 60_000,
    },
  );
  // Let every job start and report before measuring.
  await new Promise((resolve) => setTimeout(resolve, 5000));
  // The main thread's busy time both in its own CPU time and in wall time: the 200 jobs share the
  // machine's two cores with the browser, and wall time counts the moments it waits for a core.
  const sessions = [];
  for (const timeDomain of ['threadTicks', 'timeTicks']) {
    const cdp = await livePage.context().newCDPSession(livePage);
    await cdp.send('Performance.enable', { timeDomain });
    sessions.push(cdp);
  }
  const taskSeconds = async (cdp) => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration').value;
  // Count the reports the page receives in the window with a second reader of the same stream.
  const events = await livePage.evaluate(async () => {
    const source = new EventSource('api/v1/events');
    let count = 0;
    source.addEventListener('job:metrics', () => count++);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const before = count;
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    source.close();
    return (count - before) / 10;
  });
  // The main thread's busy time over ten seconds of the stream, without the counting reader.
  const busy = [];
  const busyWall = [];
  for (let i = 0; i < 3; i++) {
    const [c0, t0] = [await taskSeconds(sessions[0]), await taskSeconds(sessions[1])];
    const w0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const seconds = (performance.now() - w0) / 1000;
    busy.push(((await taskSeconds(sessions[0])) - c0) / seconds);
    busyWall.push(((await taskSeconds(sessions[1])) - t0) / seconds);
  }
  stop.abort();
  await running;
  await livePage.close();

  const kb = (bytes) => `${(bytes / 1000).toFixed(1)} KB`;
  console.log(`Chromium ${browser.version()}, node ${process.version}`);
  console.log(
    `page: ${kb(html.length)}, ${kb(gzipSync(html).length)} gzipped; job list of ${jobs.length}: ${kb(list.length)}, ${kb(gzipSync(list).length)} gzipped`,
  );
  console.log(
    `first render, ${jobs.length} finished trials: median ${median(firstRender).toFixed(0)} ms (${firstRender.map((ms) => ms.toFixed(0)).join(', ')})`,
  );
  const perSecond = (values) => `${values.map((s) => (s * 1000).toFixed(0)).join(', ')} ms per second (median ${(median(values) * 1000).toFixed(0)})`;
  console.log(`${streaming} running trials at ${events.toFixed(0)} reports/s: main thread CPU ${perSecond(busy)}; wall ${perSecond(busyWall)}`);
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}
