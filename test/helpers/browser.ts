import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { repoDir, runCli, startCli } from './cli.js';
import { ensureCommand } from './system.js';

/** Where screenshots are kept for people to look at (not committed). */
export const artifacts = join(repoDir, 'test-artifacts');

/** Debian's Chromium, headless, with flags that keep it from the network and a sandbox it cannot have as root; or why not. */
export async function launchChromium(): Promise<{ browser?: Browser; skipReason?: string }> {
  const skipReason = ensureCommand('chromium', 'chromium');
  if (skipReason) return { skipReason };
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return { browser };
}

/** Chromium for the tests of one file: launched before them, closed after; without it, why not. */
export function useChromium(): { browser?: Browser; skipReason?: string } {
  const chrome: { browser?: Browser; skipReason?: string } = {};
  beforeAll(async () => {
    Object.assign(chrome, await launchChromium());
  }, 60_000);
  afterAll(async () => {
    await chrome.browser?.close();
  });
  return chrome;
}

/**
 * A new page on a batch's dashboard served from disk; `close` closes both and checks that the
 * page threw nothing and the serving ended well.
 */
export async function openServed(
  browser: Browser,
  root: string,
  name: string,
  options: BrowserContextOptions = {},
): Promise<{ page: Page; close: () => Promise<void> }> {
  const serving = await serveFromDisk(root, name);
  const page = await browser.newPage(options);
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(serving.url);
  return {
    page,
    close: async () => {
      await page.close();
      expect(errors).toEqual([]);
      expect(await serving.stop()).toBe(0);
    },
  };
}

/** The dashboard address of a batch that runs, once its daemon serves. */
export async function dashboardOf(root: string, name: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const { code, stdout } = await runCli(['batch', 'dashboard', name, '--batches-data-dir', root]);
    if (code === 0) return stdout.trim();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the batch never served a dashboard');
}

/** Serves a batch from its files (`batch serve`) until `stop` is called, which checks it ended well. */
export async function serveFromDisk(root: string, name: string): Promise<{ url: string; stop: () => Promise<number | null> }> {
  const serving = startCli(['batch', 'serve', name, '--port', '0', '--batches-data-dir', root]);
  let said = '';
  serving.child.stderr!.on('data', (chunk: Buffer) => (said += chunk));
  for (let i = 0; i < 400 && !/at (http\S+)/.test(said); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  const url = /at (http\S+)/.exec(said)?.[1];
  if (!url) throw new Error(`batch serve did not say where it serves: ${said}`);
  return {
    url,
    stop: async () => {
      serving.child.kill('SIGTERM');
      return (await serving.done).code;
    },
  };
}

/** Saves a screenshot of the page among the test artifacts. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, name), fullPage: true });
}

/** The names of the table's rows, top to bottom. */
export function rowNames(page: Page): Promise<(string | null)[]> {
  return page.locator('#jobs tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-job')));
}
