import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dashboardOf, openServed, rowNames, screenshot, serveFromDisk, useChromium } from '../helpers/browser.js';
import { startCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const chrome = useChromium();

describe('the dashboard, in a real browser', () => {
  it('shows progress, sorts by a metric, opens a log, kills a running job, and serves a finished batch', async ({ skip }) => {
    const { browser } = chrome;
    if (!browser) return skip(chrome.skipReason ?? 'no browser');
    const root = tempDir();
    const quick = [0.1, 0.2, 0.3, 0.4].map((lr, i) => ({
      name: `lr-${lr}`,
      params: { lr },
      execution: { command: `echo "training with lr ${lr}"; echo 'hyperctl:metrics {"accuracy": ${[0.7, 0.9, 0.8, 0.6][i]}}'` },
    }));
    const gate = join(root, 'gate');
    const slow = `echo still going; while [ ! -e '${gate}' ]; do sleep 0.05; done; echo 'hyperctl:metrics {"accuracy": 0.55}'; sleep 60`;
    const jobs = [...quick, { name: 'slow', params: { lr: 0.5 }, execution: { command: slow } }];
    writeFileSync(join(root, 'b.json'), JSON.stringify({ name: 'web', jobs, daemon: { port: 0, exit_on_finish: true } }));
    const run = startCli(['run', '-c', join(root, 'b.json'), '-p', '5', '--batches-data-dir', root]);
    const url = await dashboardOf(root, 'web');
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[\w-]+\/$/);

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(url);
    await page.locator('tr[data-job="lr-0.4"] .st-succeed').waitFor();
    await page.locator('tr[data-job="slow"] .st-running').waitFor();
    expect(await page.locator('#progress').getAttribute('data-percent')).toBe('80');

    // Sort by accuracy, highest first: a click sorts ascending, a second descending.
    await page.locator('th[data-key="accuracy"]').click();
    await page.locator('th[data-key="accuracy"]').click();
    expect(await rowNames(page)).toEqual(['lr-0.2', 'lr-0.3', 'lr-0.1', 'lr-0.4', 'slow']);

    await page.locator('tr[data-job="lr-0.3"] td').first().click();
    await expect.poll(() => page.locator('#log').textContent(), { timeout: 10_000 }).toContain('training with lr 0.3');

    // The scatter: accuracy against lr, one point per job with both; the chosen job's curve first in the legend.
    await expect.poll(() => page.locator('#scatter').getAttribute('data-points'), { timeout: 10_000 }).toBe('4');
    await expect.poll(() => page.locator('#curve-legend li').first().getAttribute('data-job'), { timeout: 10_000 }).toBe('lr-0.3');

    // A running job's report reaches the page as it is made (the job:metrics event): its row shows it, still running.
    writeFileSync(gate, '');
    await expect.poll(() => page.locator('tr[data-job="slow"] td').allTextContents(), { timeout: 10_000 }).toContain('0.55');
    expect(await page.locator('tr[data-job="slow"] .st-running').count()).toBe(1);
    expect(await page.locator('#scatter').getAttribute('data-points')).toBe('5');

    await page.locator('button[data-kill="slow"]').click();
    await page.locator('tr[data-job="slow"] .st-killed').waitFor();
    await expect.poll(() => page.locator('#progress').getAttribute('data-percent'), { timeout: 10_000 }).toBe('100');
    await screenshot(page, 'dashboard.png');
    expect((await run.done).code).toBe(1);

    // After the run: the same page, served from disk.
    const serving = await serveFromDisk(root, 'web');
    await page.goto(serving.url);
    await page.locator('tr[data-job="slow"] .st-killed').waitFor();
    expect(await page.locator('#title').textContent()).toBe('hyperctl · web · finished');
    expect(errors).toEqual([]);
    expect(await serving.stop()).toBe(0);
    await page.close();
  });

  it('counts a running search against its planned trials, and follows a change of its budget', async ({ skip }) => {
    const { browser } = chrome;
    if (!browser) return skip(chrome.skipReason ?? 'no browser');
    const root = tempDir();
    const gate = join(root, 'gate');
    // The first two trials end at once; the third waits for the gate.
    const command = `if [ {x} -ge 3 ]; then while [ ! -e '${gate}' ]; do [ -d '${root}' ] || exit 9; sleep 0.05; done; fi; echo 'hyperctl:metrics {"loss": {x}}'`;
    writeFileSync(
      join(root, 's.json'),
      JSON.stringify({
        name: 'planned',
        params: { x: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
        execution: { command },
        search: { algorithm: 'grid', metric: 'loss', goal: 'min', max_trials: 10 },
        daemon: { port: 0, exit_on_finish: true },
      }),
    );
    const run = startCli(['run', '-c', join(root, 's.json'), '-p', '1', '--batches-data-dir', root]);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(await dashboardOf(root, 'planned'));
    await expect.poll(() => page.locator('#progress').textContent(), { timeout: 15_000 }).toMatch(/^20% · 2\/10 done · 3\/10 trials/);
    expect(await page.locator('#progress').getAttribute('data-percent')).toBe('20');
    const budget = startCli(['batch', 'update', 'planned', '--max-trials', '5', '--batches-data-dir', root]);
    expect((await budget.done).code).toBe(0);
    await expect.poll(() => page.locator('#progress').textContent(), { timeout: 15_000 }).toMatch(/^40% · 2\/5 done · 3\/5 trials/);
    writeFileSync(gate, '');
    expect((await run.done).code).toBe(0);
    await page.close();
  });

  it('pauses and resumes the running batch, and retries a failed job, from the page', async ({ skip }) => {
    const { browser } = chrome;
    if (!browser) return skip(chrome.skipReason ?? 'no browser');
    const root = tempDir();
    const gate = join(root, 'gate');
    const jobs = [
      { name: 'bad', params: {}, execution: { command: `if [ -e '${root}/bad.ran' ]; then exit 0; fi; touch '${root}/bad.ran'; exit 3` } },
      { name: 'a', params: {}, execution: { command: `while [ ! -e '${gate}' ]; do [ -d '${root}' ] || exit 9; sleep 0.05; done` } },
      { name: 'b', params: {}, execution: { command: 'true' } },
    ];
    writeFileSync(join(root, 'b.json'), JSON.stringify({ name: 'steered', jobs, daemon: { port: 0, exit_on_finish: true } }));
    const run = startCli(['run', '-c', join(root, 'b.json'), '-p', '1', '--batches-data-dir', root]);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(await dashboardOf(root, 'steered'));
    await page.locator('tr[data-job="a"] .st-running').waitFor();
    await page.locator('tr[data-job="bad"] .st-failed').waitFor();
    expect(await page.locator('#paused').isVisible()).toBe(false);

    await page.locator('#pause').click();
    await page.locator('#paused').waitFor();
    expect(await page.locator('#pause').textContent()).toBe('resume');
    await page.locator('button[data-retry="bad"]').click();
    await page.locator('tr[data-job="bad"] .st-init').waitFor();
    writeFileSync(gate, '');
    await page.locator('tr[data-job="a"] .st-succeed').waitFor();
    // Paused: neither the job after it nor the one retried starts.
    expect(await page.locator('tr[data-job="b"] .st-init').count()).toBe(1);
    expect(await page.locator('tr[data-job="bad"] .st-init').count()).toBe(1);

    await page.locator('#pause').click();
    await page.locator('tr[data-job="bad"] .st-succeed').waitFor();
    await page.locator('tr[data-job="b"] .st-succeed').waitFor();
    expect(await page.locator('#paused').isVisible()).toBe(false);
    expect(errors).toEqual([]);
    expect((await run.done).code).toBe(0);
    await page.close();
  });

  it('shows a pruned job as pruned, with the reason under its status, and filters by it', async ({ skip }) => {
    const { browser } = chrome;
    if (!browser) return skip(chrome.skipReason ?? 'no browser');
    const root = tempDir();
    const curve = `i=1; while [ $i -le 16 ]; do echo "hyperctl:metrics {\\"loss\\": $(( {floor} + 10 / i ))}"; sleep 0.2; i=$((i + 1)); done`;
    const jobs = [1, 9].map((floor) => ({ name: `floor-${floor}`, params: { floor }, execution: { command: curve } }));
    writeFileSync(
      join(root, 'b.json'),
      JSON.stringify({
        name: 'pruning',
        jobs,
        early_stopping: { rule: 'asha', metric: 'loss', min_steps: 2, reduction_factor: 2 },
        daemon: { port: 0, exit_on_finish: true },
      }),
    );
    expect((await startCli(['run', '-c', join(root, 'b.json'), '-p', '1', '--batches-data-dir', root]).done).code).toBe(0);
    const { page, close } = await openServed(browser, root, 'pruning', { viewport: { width: 1280, height: 800 } });
    const cell = page.locator('tr[data-job="floor-9"] .st-pruned');
    await cell.waitFor();
    expect(await cell.locator('.reason').textContent()).toBe(
      'pruned by asha at step 2: loss 14 > rung cutoff 6 (rung 2: the best 1/2 of the 1 trials that reached it before)',
    );
    await page.locator('#status').selectOption('pruned');
    await expect.poll(() => rowNames(page)).toEqual(['floor-9']);
    await close();
  });

  it('sorts names with numbers as people do, says a batch served from disk is read-only, and fits a phone-width window', async ({ skip }) => {
    const { browser } = chrome;
    if (!browser) return skip(chrome.skipReason ?? 'no browser');
    const root = tempDir();
    const names = ['lr=0.2', 'lr=0.05', 'lr=0.1', 'lr=0.01', 'lr=1e-3', 'trial-0010', 'trial-0002', 'x10', 'x2', 'd=-3', 'd=-10'];
    const jobs = names.map((name, i) => ({ name, params: { i, model: 'tree' }, execution: { command: 'true' } }));
    writeFileSync(join(root, 'b.json'), JSON.stringify({ name: 'order', jobs, daemon: { port: 0, exit_on_finish: true } }));
    expect((await startCli(['run', '-c', join(root, 'b.json'), '--batches-data-dir', root]).done).code).toBe(0);
    const { page, close } = await openServed(browser, root, 'order', { viewport: { width: 420, height: 800 } });
    await page.locator('tr[data-job="x10"]').waitFor();
    expect(await rowNames(page)).toEqual(['d=-10', 'd=-3', 'lr=1e-3', 'lr=0.01', 'lr=0.05', 'lr=0.1', 'lr=0.2', 'trial-0002', 'trial-0010', 'x2', 'x10']);
    // A param every job shares is said once, above the table, not as a column.
    expect(await page.locator('#shared').textContent()).toBe('same for every job: model=tree');
    expect(await page.locator('th[data-key="model"]').count()).toBe(0);
    expect(await page.locator('th[data-key="i"]').count()).toBe(1);
    // The column chooser hides a column from the header and every row, and shows it again.
    const cellsPerRow = () => page.locator('tr[data-job="x2"] td').count();
    const before = await cellsPerRow();
    await page.locator('#chooser summary').click();
    await page.locator('#column-list input[data-column="i"]').uncheck();
    expect(await page.locator('th[data-key="i"]').count()).toBe(0);
    expect(await cellsPerRow()).toBe(before - 1);
    await page.locator('#column-list input[data-column="i"]').check();
    expect(await page.locator('th[data-key="i"]').count()).toBe(1);
    expect(await page.locator('#readonly').isVisible()).toBe(true);
    expect(await page.locator('button[data-kill]').count()).toBe(0);
    // Nothing wider than the window: the page does not scroll sideways, the table is not squashed.
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(420);
    expect(await page.locator('#jobs').evaluate((t) => t.getBoundingClientRect().width)).toBeGreaterThan(300);
    await screenshot(page, 'dashboard-narrow.png');
    await close();
  });

  it('shows hostile job names, params, metric names and log text as text, and runs no script from them', async ({ skip }) => {
    const { browser } = chrome;
    if (!browser) return skip(chrome.skipReason ?? 'no browser');
    const root = tempDir();
    const attack = (n: number) => `<img src=x onerror="window.pwned=${n}">`;
    // The job prints a metric whose name is markup, and markup in its log.
    writeFileSync(
      join(root, 'job.mjs'),
      `console.log('hyperctl:metrics ' + JSON.stringify({ ${JSON.stringify(attack(3))}: 1 })); console.log(${JSON.stringify(attack(4))}); setTimeout(() => {}, 60000);\n`,
    );
    const jobs = [
      { name: attack(1), params: { [attack(2)]: '<script>window.pwned=5</script>', lr: 0.1 }, execution: { command: `node '${join(root, 'job.mjs')}'` } },
      { name: 'plain', params: { [attack(2)]: 'x', lr: 0.2 }, execution: { command: `node '${join(root, 'job.mjs')}'` } },
    ];
    writeFileSync(join(root, 'b.json'), JSON.stringify({ name: 'hostile', jobs, daemon: { port: 0 } }));
    const run = startCli(['run', '-c', join(root, 'b.json'), '-p', '2', '--batches-data-dir', root]);
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) violations.push(message.text());
    });
    page.on('pageerror', (error) => violations.push(error.message));
    await page.goto(await dashboardOf(root, 'hostile'));
    const row = page.locator('tbody tr').filter({ hasText: attack(1) });
    await row.locator('.st-running').waitFor();
    // Its log shows the markup as text; once it is there, the job has printed its metric too.
    await row.locator('td').first().click();
    await expect.poll(() => page.locator('#log').textContent(), { timeout: 10_000 }).toContain(attack(4));
    // The metric arrives with the job's exit; kill it to end it.
    await row.locator('button.kill').click();
    await row.locator('.st-killed').waitFor();
    await expect.poll(() => page.locator('th').allTextContents(), { timeout: 10_000 }).toContain(attack(3));
    expect(await page.locator('th').allTextContents()).toContain(attack(2));
    expect(await row.locator('td').allTextContents()).toContain('<script>window.pwned=5</script>');
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(violations).toEqual([]);
    // The policy allows the page's own script by its hash alone.
    const response = await page.request.get(page.url());
    const csp = response.headers()['content-security-policy']!;
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+';/);
    expect(csp).not.toContain('unsafe-inline');
    await page.close();
    run.child.kill('SIGINT');
    expect((await run.done).code).toBe(130);
  });
});
