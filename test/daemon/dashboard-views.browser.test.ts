import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { artifacts, openServed, rowNames, screenshot, useChromium } from '../helpers/browser.js';
import { repoDir, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const chrome = useChromium();

interface Job {
  name: string;
  status: string;
  params: Record<string, unknown>;
  metrics: Record<string, number> | null;
}

/** The jobs as the page's own API gives them. */
function jobsOf(page: Page): Promise<Job[]> {
  return page.evaluate(async () => ((await (await fetch('api/v1/jobs')).json()) as { jobs: Job[] }).jobs);
}

/** Where a value lies on a figure's axis, in page pixels, read from the axis's tick labels (a linear axis). */
async function pixelOf(page: Page, figure: string, x: number, y: number): Promise<{ x: number; y: number }> {
  const ticks = (axis: 'x' | 'y') =>
    page
      .locator(`#${figure} .axis.${axis} .tick`)
      .evaluateAll((nodes, a) => nodes.map((n) => [Number(n.textContent), Number(n.getAttribute(a))] as const), axis);
  const along = (pairs: readonly (readonly [number, number])[], value: number, shift: number) => {
    const [[v0, p0], [v1, p1]] = [pairs[0]!, pairs.at(-1)!];
    return p0 + ((value - v0) / (v1 - v0)) * (p1 - p0) + shift;
  };
  // In view first: the pointer can only hover what the window shows.
  await page.locator(`#${figure}`).scrollIntoViewIfNeeded();
  const box = (await page.locator(`#${figure}`).boundingBox())!;
  // A y tick's label sits 4 px below its line.
  return { x: box.x + along(await ticks('x'), x, 0), y: box.y + along(await ticks('y'), y, -4) };
}

/** A batch of ten jobs whose last loss lies far off the others', run to its end; the folder it is in. */
async function outlierBatch(name: string): Promise<string> {
  const root = tempDir();
  const losses = [0.31, 0.35, 0.4, 0.42, 0.45, 0.5, 0.52, 0.6, 0.61, 1e6];
  const jobs = losses.map((loss, x) => ({ name: `x-${x}`, params: { x }, execution: { command: `echo 'hyperctl:metrics {"loss": ${loss}}'` } }));
  writeFileSync(join(root, 'b.json'), JSON.stringify({ name, jobs, daemon: { port: 0, exit_on_finish: true } }));
  expect((await runCli(['run', '-c', join(root, 'b.json'), '--batches-data-dir', root])).code).toBe(0);
  return root;
}

describe('the dashboard views, in a real browser', () => {
  it('shows a search in parallel coordinates with log axes, filters the table by brushing, and plots the metric on real axes', async ({ skip }) => {
    const { browser } = chrome;
    if (!browser) return skip(chrome.skipReason ?? 'no browser');
    const root = tempDir();
    const objective = `awk -v lr={lr} -v layers={layers} -v opt={opt} 'BEGIN { x = log(lr) / log(10) + 2.5; loss = x * x + (layers - 4) * (layers - 4) / 4 + (opt == "adam" ? 0 : 0.5); printf "hyperctl:metrics {\\"loss\\": %.6f}\\n", loss }'`;
    writeFileSync(
      join(root, 'search.json'),
      JSON.stringify({
        name: 'sweep',
        params: { lr: { loguniform: [1e-4, 0.1] }, layers: { int: [1, 6] }, opt: { choice: ['sgd', 'adam'] } },
        execution: { command: objective },
        search: { algorithm: 'random', metric: 'loss', goal: 'min', max_trials: 24, seed: 3 },
        daemon: { port: 0, exit_on_finish: true },
      }),
    );
    expect((await runCli(['run', '-c', join(root, 'search.json'), '-p', '4', '--batches-data-dir', root])).code).toBe(0);
    const { page, close } = await openServed(browser, root, 'sweep', { viewport: { width: 1280, height: 900 } });
    await expect.poll(() => page.locator('#parallel').getAttribute('data-lines')).toBe('24');

    // An axis per param and one for the metric; the log-uniform param on a log scale.
    const axes = await page
      .locator('#parallel .pc-axis')
      .evaluateAll((nodes) => nodes.map((n) => [n.getAttribute('data-axis'), n.getAttribute('data-scale'), n.classList.contains('metric')]));
    expect(axes).toEqual([
      ['lr', 'log', false],
      ['layers', 'linear', false],
      ['opt', 'bands', false],
      ['loss', 'linear', true],
    ]);
    expect(await page.locator('#parallel .pc-axis[data-axis="lr"] .title').textContent()).toBe('lr (log)');
    // Its ticks at powers of ten, over the values drawn.
    const lrTicks = await page.locator('#parallel .pc-axis[data-axis="lr"] .tick').allTextContents();
    expect(lrTicks.length).toBeGreaterThanOrEqual(2);
    for (const tick of lrTicks) expect(['1e-4', '0.001', '0.01', '0.1']).toContain(tick);
    expect(await page.locator('#parallel .pc-axis[data-axis="opt"] .tick').allTextContents()).toEqual(['adam', 'sgd']);

    // Brushing the lower part of the loss axis keeps in the table exactly the jobs whose loss lies in it.
    const grip = (await page.locator('#parallel .grip[data-axis="loss"]').boundingBox())!;
    await page.mouse.move(grip.x + grip.width / 2, grip.y + grip.height - 1);
    await page.mouse.down();
    await page.mouse.move(grip.x + grip.width / 2, grip.y + grip.height * 0.6, { steps: 5 });
    await page.mouse.up();
    const brush = page.locator('#parallel .brush[data-axis="loss"]');
    const [low, high] = [Number(await brush.getAttribute('data-low')), Number(await brush.getAttribute('data-high'))];
    const jobs = await jobsOf(page);
    const within = jobs.filter((job) => job.metrics!.loss! >= low && job.metrics!.loss! <= high).map((job) => job.name);
    expect(within.length).toBeGreaterThan(0);
    expect(within.length).toBeLessThan(24);
    expect((await rowNames(page)).sort()).toEqual(within.sort());
    expect(await page.locator('#shown').textContent()).toBe(`${within.length} of 24 jobs shown`);
    expect(await page.locator('#parallel').getAttribute('data-lines')).toBe(String(within.length));
    // A click on the axis clears its brush.
    await page.mouse.click(grip.x + grip.width / 2, grip.y + 10);
    await expect.poll(() => page.locator('#shown').textContent()).toBe('24 jobs');
    expect(await page.locator('#parallel .brush').count()).toBe(0);

    // The scatter: loss against lr on a log axis with ticks and titles, a point per trial.
    await page.locator('#param').selectOption('lr');
    expect(await page.locator('#scatter').getAttribute('data-points')).toBe('24');
    expect(await page.locator('#scatter .axis.x').getAttribute('data-scale')).toBe('log');
    expect(await page.locator('#scatter .axis.x .title').textContent()).toBe('lr (log)');
    expect(await page.locator('#scatter .axis.x .tick').allTextContents()).toContain('0.001');
    expect(await page.locator('#scatter .axis.y .title').textContent()).toBe('loss');
    expect((await page.locator('#scatter .axis.y .tick').allTextContents()).length).toBeGreaterThanOrEqual(3);

    // Its goal and ranking are the search's: lowest loss first, as `batch compare` ranks them.
    expect(await page.locator('#goal').inputValue()).toBe('min');
    const ranked = [...jobs].sort((a, b) => a.metrics!.loss! - b.metrics!.loss!).map((job) => job.name);
    expect((await rowNames(page))[0]).toBe(ranked[0]);
    // A search opens on its best value so far over the trials.
    expect(await page.locator('#curve-mode').inputValue()).toBe('best');
    const best = Math.min(...jobs.map((job) => job.metrics!.loss!));
    expect(Number(await page.locator('#curves').getAttribute('data-best'))).toBe(best);
    expect(await page.locator('#curves .axis.x .title').textContent()).toBe('trial');

    // Which params matter: the page weighs them as `batch importance` does, to the same shares.
    await page.locator('#weigh').click();
    await expect.poll(() => page.locator('#importance li').count()).toBe(3);
    const shares = await page
      .locator('#importance li')
      .evaluateAll((nodes) => nodes.map((n) => [n.getAttribute('data-param'), Number(n.getAttribute('data-share'))]));
    const weighed = JSON.parse((await runCli(['batch', 'importance', 'sweep', '--json', '--batches-data-dir', root])).stdout) as {
      params: { param: string; importance: number }[];
    };
    expect(shares).toEqual(weighed.params.map((p) => [p.param, p.importance]));
    // Each bar as long as its share.
    const bars = await page.locator('#importance .share-bar').evaluateAll((nodes) => nodes.map((n) => n.getBoundingClientRect().width));
    const widest = bars[0]!;
    for (const [i, width] of bars.entries()) expect(width / widest).toBeCloseTo(shares[i]![1]! / shares[0]![1]!, 1);
    expect(await page.locator('#weigh-note').textContent()).toBe("loss: each param's share of its variance, over 24 succeeded jobs");
    await screenshot(page, 'dashboard-search.png');
    // The README's picture of the page, made anew when asked: HYPERCTL_README_SCREENSHOT=1.
    if (process.env.HYPERCTL_README_SCREENSHOT === '1') {
      mkdirSync(join(repoDir, 'docs'), { recursive: true });
      await page.screenshot({ path: join(repoDir, 'docs', 'dashboard.png') });
    }
    await close();
  });

  it('overlays learning curves with a legend, pruned and failed jobs drawn apart, and names a curve under the pointer', async ({ skip }) => {
    const { browser } = chrome;
    if (!browser) return skip(chrome.skipReason ?? 'no browser');
    const root = tempDir();
    // Loss floor + 10 / step for six steps; `fail` ends with an error after its third.
    const curve = (steps: number, end: string) =>
      `i=1; while [ $i -le ${steps} ]; do echo "hyperctl:metrics {\\"loss\\": $(( {floor} + 10 / i ))}"; sleep 0.2; i=$((i + 1)); done; ${end}`;
    const jobs = [
      { name: 'good', params: { floor: 1 }, execution: { command: curve(6, 'true') } },
      { name: 'poor', params: { floor: 9 }, execution: { command: curve(6, 'true') } },
      { name: 'fail', params: { floor: 0 }, execution: { command: curve(3, 'exit 1') } },
    ];
    writeFileSync(
      join(root, 'b.json'),
      JSON.stringify({
        name: 'curves',
        jobs,
        early_stopping: { rule: 'asha', metric: 'loss', min_steps: 2, reduction_factor: 2 },
        daemon: { port: 0, exit_on_finish: true },
      }),
    );
    expect((await runCli(['run', '-c', join(root, 'b.json'), '-p', '1', '--batches-data-dir', root])).code).toBe(1);
    const { page, close } = await openServed(browser, root, 'curves', { viewport: { width: 1280, height: 900 } });
    await expect.poll(() => page.locator('#curves').getAttribute('data-curves')).toBe('3');
    // The legend: each job's line style follows its status; the best last value first (good ends at
    // 1 + 10/6, fail at 10/3, poor was pruned at its second step, at 9 + 10/2).
    const legend = await page
      .locator('#curve-legend li')
      .evaluateAll((items) => items.map((li) => [li.getAttribute('data-job'), li.querySelector('.swatch')!.className]));
    expect(legend).toEqual([
      ['good', 'swatch succeed'],
      ['fail', 'swatch failed'],
      ['poor', 'swatch pruned'],
    ]);
    // The pointer on good's first report (step 1, loss 11) names it, its step and value, and its params.
    const at = await pixelOf(page, 'curves', 1, 11);
    await page.mouse.move(at.x, at.y);
    const tip = page.locator('#curves .tip');
    await tip.waitFor();
    expect(await tip.locator('div').allTextContents()).toEqual(['good · succeed', 'step 1: loss = 11', 'floor = 1']);
    // Choosing a job in the legend opens its log and draws its curve bold, first.
    await page.locator('#curve-legend li[data-job="poor"]').click();
    await expect.poll(() => page.locator('#log-name').textContent()).toBe('poor');
    await expect.poll(() => page.locator('#curve-legend li').first().getAttribute('data-job')).toBe('poor');
    await screenshot(page, 'dashboard-curves.png');
    await close();
  });

  it('maps the metric over two params as a heat map, brightest where it is best, with the jobs as dots', async ({ skip }) => {
    const { browser } = chrome;
    if (!browser) return skip(chrome.skipReason ?? 'no browser');
    const root = tempDir();
    // A 7 × 7 grid of x and y, the loss lowest at x = 0.2, y = 0.8; depth a third param that does not matter.
    const steps = [0, 1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6, 1].map((v) => Number(v.toFixed(4)));
    const jobs = steps.flatMap((x, i) =>
      steps.map((y, j) => {
        const loss = ((x - 0.2) ** 2 + (y - 0.8) ** 2).toFixed(6);
        return { name: `g-${i}-${j}`, params: { x, y, depth: (i + j) % 3 }, execution: { command: `echo 'hyperctl:metrics {"loss": ${loss}}'` } };
      }),
    );
    writeFileSync(join(root, 'b.json'), JSON.stringify({ name: 'plane', jobs, daemon: { port: 0, exit_on_finish: true } }));
    expect((await runCli(['run', '-c', join(root, 'b.json'), '-p', '4', '--batches-data-dir', root])).code).toBe(0);
    const { page, close } = await openServed(browser, root, 'plane', { viewport: { width: 1280, height: 900 } });
    await expect.poll(() => page.locator('#contour').getAttribute('data-points')).toBe('49');
    expect(await page.locator('#contour-x').inputValue()).toBe('x');
    expect(await page.locator('#contour-y').inputValue()).toBe('y');
    expect(await page.locator('#contour').getAttribute('data-cells')).toBe(String(28 * 28));
    const [bx, by] = (await page.locator('#contour').getAttribute('data-brightest'))!.split(',').map(Number);
    expect(Math.abs(bx! - 0.2)).toBeLessThan(0.08);
    expect(Math.abs(by! - 0.8)).toBeLessThan(0.08);
    expect(await page.locator('#contour .axis.x .title').textContent()).toBe('x');
    expect(await page.locator('#contour .axis.y .title').textContent()).toBe('y');
    // Another pair of params draws it anew.
    await page.locator('#contour-y').selectOption('depth');
    await expect.poll(() => page.locator('#contour .axis.y .title').textContent()).toBe('depth');
    await screenshot(page, 'dashboard-contour.png');
    await close();
  });

  it('draws a search of several objectives as its front on two chosen objectives, the same trials batch best names, and colours lines by Pareto rank', async ({
    skip,
  }) => {
    const { browser } = chrome;
    if (!browser) return skip(chrome.skipReason ?? 'no browser');
    const root = tempDir();
    // Three objectives: a and c down, b up; each trial trades them through x, y and z.
    const command = `awk -v x={x} -v y={y} -v z={z} 'BEGIN { printf "hyperctl:metrics {\\"a\\": %.6f, \\"b\\": %.6f, \\"c\\": %.6f}\\n", x + z / 4, y - x * x, (1 - y) * (1 - z) }'`;
    writeFileSync(
      join(root, 'pareto.json'),
      JSON.stringify({
        name: 'tradeoff',
        params: { x: { uniform: [0, 1] }, y: { uniform: [0, 1] }, z: { uniform: [0, 1] } },
        execution: { command },
        search: {
          metrics: [
            { name: 'a', goal: 'min' },
            { name: 'b', goal: 'max' },
            { name: 'c', goal: 'min' },
          ],
          max_trials: 40,
          startup_trials: 10,
          seed: 2,
        },
        daemon: { port: 0, exit_on_finish: true },
      }),
    );
    expect((await runCli(['run', '-c', join(root, 'pareto.json'), '-p', '4', '--batches-data-dir', root])).code).toBe(0);
    const best = JSON.parse((await runCli(['batch', 'best', 'tradeoff', '--json', '--batches-data-dir', root])).stdout) as { front: { jobs: string[] }[] };
    const front = best.front.flatMap((t) => t.jobs).sort();
    const { page, close } = await openServed(browser, root, 'tradeoff', { viewport: { width: 1280, height: 900 } });
    await expect.poll(() => page.locator('#front').getAttribute('data-front')).toBe(front.join(','));
    expect(await page.locator('#front-section').isVisible()).toBe(true);
    // The table ranks as batch compare does: the front first, in batch order, then rank by rank.
    const compared = JSON.parse((await runCli(['batch', 'compare', 'tradeoff', '--json', '--batches-data-dir', root])).stdout) as { name: string }[];
    expect((await rowNames(page)).slice(0, 10)).toEqual(compared.slice(0, 10).map((row) => row.name));
    expect(await page.locator('#jobs th[data-key="rank"]').textContent()).toBe('rank ▲');
    expect(Number(await page.locator('#front').getAttribute('data-dominated'))).toBe(40 - front.length);
    expect([await page.locator('#front-x').inputValue(), await page.locator('#front-y').inputValue()]).toEqual(['a', 'b']);
    // Each objective charted by its own goal, never by a guess from its name.
    expect([await page.locator('#metric').inputValue(), await page.locator('#goal').inputValue()]).toEqual(['a', 'min']);
    await page.locator('#metric').selectOption('b');
    await expect.poll(() => page.locator('#goal').inputValue()).toBe('max');
    expect(await page.locator('#front .axis.x .title').textContent()).toBe('a');
    // Another pair of objectives: the same front, drawn on them.
    await page.locator('#front-y').selectOption('c');
    await expect.poll(() => page.locator('#front .axis.y .title').textContent()).toBe('c');
    expect(await page.locator('#front').getAttribute('data-front')).toBe(front.join(','));
    // A front trial under the pointer is named as one.
    const first = (await jobsOf(page)).find((job) => job.name === front[0])!;
    const at = await pixelOf(page, 'front', first.metrics!.a!, first.metrics!.c!);
    await page.mouse.move(at.x, at.y);
    await expect.poll(() => page.locator('#front .tip').textContent()).toContain(`${front[0]} · on the front`);
    // Parallel coordinates coloured by rank: the front's lines brightest, until the metric is chosen.
    expect(await page.locator('#parallel').getAttribute('data-colour')).toBe('rank');
    expect(await page.locator('#parallel').getAttribute('data-brightest')).toBe(String(front.length));
    await page.locator('#colour-by').selectOption('metric');
    await expect.poll(() => page.locator('#parallel').getAttribute('data-colour')).toBe('metric');
    await screenshot(page, 'dashboard-front.png');
    await close();
  });

  it('draws another batch of the folder beside this one: its jobs as other marks, its best so far dashed; the API reads no other folder', async ({ skip }) => {
    const { browser } = chrome;
    if (!browser) return skip(chrome.skipReason ?? 'no browser');
    const root = tempDir();
    const run = async (name: string, losses: readonly number[]) => {
      const jobs = losses.map((loss, x) => ({ name: `t-${x}`, params: { x }, execution: { command: `echo 'hyperctl:metrics {"loss": ${loss}}'` } }));
      writeFileSync(join(root, `${name}.json`), JSON.stringify({ name, jobs, daemon: { port: 0, exit_on_finish: true } }));
      expect((await runCli(['run', '-c', join(root, `${name}.json`), '--batches-data-dir', root])).code).toBe(0);
    };
    await run('monday', [0.9, 0.7, 0.8, 0.5, 0.6]);
    await run('tuesday', [0.6, 0.4, 0.45, 0.3, 0.35, 0.2]);
    const { page, close } = await openServed(browser, root, 'monday', { viewport: { width: 1280, height: 900 } });
    await expect.poll(() => page.locator('#scatter').getAttribute('data-points')).toBe('5');
    await expect.poll(() => page.locator('#overlay option').allTextContents()).toEqual(['no other batch', 'tuesday']);
    await page.locator('#overlay').selectOption('tuesday');
    await expect.poll(() => page.locator('#scatter').getAttribute('data-overlay-points')).toBe('6');
    await page.locator('#curve-mode').selectOption('best');
    await expect.poll(() => page.locator('#curves').getAttribute('data-overlay-best')).toBe('0.2');
    expect(await page.locator('#curves').getAttribute('data-best')).toBe('0.5');
    expect(await page.locator('#curve-legend li.overlay').textContent()).toBe('tuesday, best so far: 0.2 after 6 trials');
    await screenshot(page, 'dashboard-overlay.png');
    // Back to this batch alone.
    await page.locator('#overlay').selectOption('');
    await expect.poll(() => page.locator('#scatter').getAttribute('data-overlay-points')).toBe('0');
    // Only batches of the folder, by the names it lists: a path is no name.
    const statuses = await page.evaluate(async () =>
      Promise.all(['monday', '..%2Fmonday', '%2Fetc', 'nope'].map(async (name) => (await fetch(`api/v1/batches/${name}/jobs`)).status)),
    );
    expect(statuses).toEqual([404, 404, 404, 404]);
    await close();
  });

  it('says it is loading until the data is in, then fills every panel with its chart at 420, 1000 and 1600 px, captions within', async ({ skip }) => {
    const { browser } = chrome;
    if (!browser) return skip(chrome.skipReason ?? 'no browser');
    const root = await outlierBatch('fill');
    for (const width of [420, 1000, 1600]) {
      const { page, close } = await openServed(browser, root, 'fill', { viewport: { width, height: 900 } });
      // Held back: the page is caught before its jobs arrive.
      let release = () => {};
      const held = new Promise<void>((resolve) => (release = resolve));
      await page.route('**/api/v1/jobs*', async (route) => {
        await held;
        await route.continue();
      });
      await page.reload();
      expect(await page.locator('body').getAttribute('data-state')).toBe('loading');
      const placeholder = await page.locator('#scatter').evaluate((figure) => figure.ownerDocument.defaultView!.getComputedStyle(figure, '::after').content);
      expect(placeholder).toBe('"loading…"');
      release();
      await expect.poll(() => page.locator('body').getAttribute('data-state')).toBe('ready');
      await expect.poll(() => page.locator('#scatter').getAttribute('data-points')).toBe('10');
      await page.screenshot({ path: join(artifacts, `dashboard-fill-${width}.png`), fullPage: true });
      // After a full-page capture too: each chart as wide as its panel's content, its captions inside it.
      const fits = await page.locator('body').evaluate((body) =>
        ['parallel', 'scatter', 'curves'].map((id) => {
          const figure = body.ownerDocument.getElementById(id)!;
          const panel = figure.closest('section')!;
          const style = body.ownerDocument.defaultView!.getComputedStyle(panel);
          const padding = Number.parseFloat(style.paddingLeft) + Number.parseFloat(style.paddingRight);
          const canvas = figure.querySelector('canvas')!.getBoundingClientRect();
          const box = figure.getBoundingClientRect();
          const captions = [...figure.querySelectorAll('svg .clipped')].map((c) => c.getBoundingClientRect());
          return {
            id,
            fills: Math.abs(box.width - (panel.clientWidth - padding)) <= 1 && Math.abs(canvas.width - box.width) <= 1,
            captionsInside: captions.every((c) => c.left >= box.left - 1 && c.right <= box.right + 1),
          };
        }),
      );
      expect(fits, `at ${width} px`).toEqual(['parallel', 'scatter', 'curves'].map((id) => ({ id, fills: true, captionsInside: true })));
      await close();
    }
  });

  it('clips a far-off value to the edge of the scatter and says so, and follows a dark colour scheme', async ({ skip }) => {
    const { browser } = chrome;
    if (!browser) return skip(chrome.skipReason ?? 'no browser');
    const root = await outlierBatch('outlier');
    const { page, close } = await openServed(browser, root, 'outlier', {
      viewport: { width: 1280, height: 900 },
      colorScheme: 'dark',
      reducedMotion: 'reduce',
    });
    await expect.poll(() => page.locator('#scatter').getAttribute('data-points')).toBe('10');
    expect(await page.locator('#scatter .clipped').getAttribute('data-count')).toBe('1');
    expect(await page.locator('#scatter .clipped').textContent()).toBe('1 beyond the top ▸ drawn at the edge');
    // The rest keep the axis: its ticks stay within their range.
    const ticks = (await page.locator('#scatter .axis.y .tick').allTextContents()).map(Number);
    expect(Math.max(...ticks)).toBeLessThan(1);
    expect(await page.locator('body').evaluate((body) => body.ownerDocument.defaultView!.getComputedStyle(body).backgroundColor)).toBe('rgb(12, 17, 29)');
    await screenshot(page, 'dashboard-dark.png');
    await close();
  });

  it('draws only the rows in view of a thousand-job table, and the last ones when scrolled to the end', async ({ skip }) => {
    const { browser } = chrome;
    if (!browser) return skip(chrome.skipReason ?? 'no browser');
    const root = tempDir();
    const jobs = Array.from({ length: 1000 }, (_, i) => ({ name: `j-${i + 1}`, params: { i: i + 1 }, execution: { command: 'true' } }));
    writeFileSync(join(root, 'b.json'), JSON.stringify({ name: 'wide', jobs, daemon: { port: 0, exit_on_finish: true } }));
    expect((await runCli(['run', '-c', join(root, 'b.json'), '-p', '8', '--batches-data-dir', root])).code).toBe(0);
    const { page, close } = await openServed(browser, root, 'wide', { viewport: { width: 1280, height: 900 } });
    await page.locator('tr[data-job="j-1"]').waitFor();
    expect(await page.locator('#shown').textContent()).toBe('1000 jobs');
    const drawn = await page.locator('#jobs tbody tr').count();
    expect(drawn).toBeLessThan(80);
    await page.locator('#table-scroll').evaluate((scroll) => {
      scroll.scrollTop = scroll.scrollHeight;
    });
    await page.locator('tr[data-job="j-1000"]').waitFor();
    expect(await page.locator('tr[data-job="j-1"]').count()).toBe(0);
    expect(await page.locator('#jobs tbody tr').count()).toBeLessThan(80);
    await close();
  }, 90_000);
});
