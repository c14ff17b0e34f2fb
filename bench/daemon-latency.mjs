// The daemon under load. `hyperctl run` serves a batch of N jobs (two running, the rest waiting)
// on loopback; this process is the load: 100 concurrent clients ask for job params (the route
// the original tool's job-side client uses) while one more client fetches the whole job list in
// a loop, so the list's cost shows in the params latency. Two loads: closed loop (each client
// sends its next request as soon as it has an answer: saturation) and a fixed offered rate
// (100 clients × 10 requests/s: what a busy batch of jobs does). Also reports the runner's
// resident memory with N jobs.
// Usage: npm run build && node bench/daemon-latency.mjs [N ...]   (default: 10000 100000)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { Agent, request } from 'undici';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const clients = 100;
const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);

const listerCode = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const times = [];
  const end = performance.now() + workerData.ms;
  while (performance.now() < end) {
    const t = performance.now();
    await (await fetch(workerData.url)).arrayBuffer();
    times.push(performance.now() - t);
  }
  parentPort.postMessage(times);
})();`;

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function startRunner(dir, n) {
  const jobs = Array.from({ length: n }, (_, i) => ({
    name: `j${i}`,
    params: { i, lr: 0.001 * (i % 100), model: 'resnet' },
    execution: { command: 'sleep 600' },
  }));
  writeFileSync(join(dir, 'batch.json'), JSON.stringify({ name: 'bench', jobs, daemon: { port: 0 } }));
  const child = spawn(process.execPath, [cli, 'run', '-c', join(dir, 'batch.json'), '-p', '2', '--kill-grace', '0', '--batches-data-dir', join(dir, 'data')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (c) => (err += c));
  for (let i = 0; i < 600 && !/daemon: (\S+)/.test(err); i++) await sleep(100);
  const url = /daemon: (\S+)/.exec(err)?.[1];
  if (!url) throw new Error(`the runner did not serve: ${err}`);
  const token = readFileSync(join(dir, 'data', 'bench', 'token'), 'utf8');
  return { child, portal: `${url}/${token}` };
}

/** Runs `clients` loops for `ms`; `pace` is the gap between one client's requests (0: closed loop). */
async function measure(portal, n, ms, pace) {
  const dispatcher = new Agent({ connections: clients + 4 });
  const latencies = [];
  const end = performance.now() + ms;
  let k = 0;
  // The lister runs on a thread of its own, so reading 10,000 jobs does not stall this loop's clocks.
  const lister = new Worker(listerCode, { eval: true, workerData: { url: `${portal}/api/v1/jobs`, ms } });
  const listed = new Promise((resolve) => lister.once('message', resolve));
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      if (pace) await sleep((pace * c) / clients);
      while (performance.now() < end) {
        const t = performance.now();
        const body = await (await request(`${portal}/hyperctl/api/job/j${(k++ * 7919) % n}`, { dispatcher })).body.json();
        if (body.code !== 0) throw new Error(`bad answer ${JSON.stringify(body)}`);
        const took = performance.now() - t;
        latencies.push(took);
        if (pace && pace > took) await sleep(pace - took);
      }
    }),
  );
  const lists = (await listed).sort((a, b) => a - b);
  await dispatcher.close();
  latencies.sort((a, b) => a - b);
  return {
    rps: latencies.length / (ms / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    lists: lists.length,
    list50: percentile(lists, 50),
  };
}

const row = (cells) => console.log(cells.map((c, i) => String(c)[i ? 'padStart' : 'padEnd'](i ? 12 : 28)).join(''));
console.log(`node ${process.version}; ${clients} concurrent clients on loopback, the runner in its own process, 10 s per load\n`);
row(['jobs / load', 'req/s', 'p50 ms', 'p99 ms', 'lists done', 'list p50 ms']);
for (const n of sizes.length ? sizes : [10_000, 100_000]) {
  const dir = mkdtempSync(join(tmpdir(), 'hyperctl-bench-'));
  const { child, portal } = await startRunner(dir, n);
  try {
    await measure(portal, n, 1000, 0); // warm-up
    const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) / 1024;
    for (const [label, pace] of [
      ['closed loop', 0],
      ['100 × 10 req/s', 100],
    ]) {
      const r = await measure(portal, n, 10_000, pace);
      row([`${n} / ${label}`, r.rps.toFixed(0), r.p50.toFixed(2), r.p99.toFixed(2), r.lists, r.list50.toFixed(0)]);
    }
    console.log(`${''.padEnd(28)}runner resident memory with ${n} jobs: ${rss.toFixed(0)} MiB`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}
