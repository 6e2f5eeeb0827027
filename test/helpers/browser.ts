// Drives Debian's Chromium through playwright-core against the real app listening on a free port.
// Flags from /work/shared/notes/browser.md: no sandbox as root, and no background calls to Google.
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildWeb } from '../../scripts/build-web.js';
import { buildTestApp, type TestApp } from './app.js';

export const chromiumPath = '/usr/bin/chromium';

const launchFlags = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface PageHarness {
  testApp: TestApp;
  baseUrl: string;
  browser: Browser;
  /** A fresh tab (its own sessionStorage) at `/`, with its width set. */
  openPage(options?: { width?: number }): Promise<Page>;
  /** Saves a full-page screenshot as reports/<name>.png and returns its path. */
  screenshot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

/** Builds the page when its sources changed, starts the app from `env` on a free port, launches Chromium. */
export async function startPageHarness(env: Record<string, string>): Promise<PageHarness> {
  buildWeb({ ifStale: true });
  const testApp = await buildTestApp(env);
  await testApp.app.listen({ port: 0, host: '127.0.0.1' });
  const baseUrl = `http://127.0.0.1:${(testApp.app.server.address() as AddressInfo).port}`;
  // Playwright gives every launch a new empty profile directory of its own (and refuses --user-data-dir).
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: launchFlags });
  const reports = join(process.cwd(), 'reports');
  mkdirSync(reports, { recursive: true });
  return {
    testApp,
    baseUrl,
    browser,
    async openPage({ width = 1024 } = {}) {
      const context = await browser.newContext({ viewport: { width, height: 900 } });
      const page = await context.newPage();
      await page.goto(`${baseUrl}/`);
      return page;
    },
    async screenshot(page, name) {
      const path = join(reports, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      await browser.close();
      await testApp.close();
    },
  };
}
