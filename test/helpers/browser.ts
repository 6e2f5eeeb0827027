// Drives Debian's Chromium (helpers/chromium.ts) against the real app listening on a free port.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { listenOnLoopback, startTestApp, type TestApp } from './app.js';
import { launchChromium } from './chromium.js';
import { ensureTestWebBuilt, testWebRoot } from './web-build.js';

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

/**
 * Builds the page when its sources changed, starts the app from `env` on a free port, launches Chromium.
 * `fakes` (the servers `env` points at) are closed with the harness.
 */
export async function startPageHarness(env: Record<string, string>, fakes: Array<{ close(): Promise<void> }> = []): Promise<PageHarness> {
  ensureTestWebBuilt();
  const testApp = await startTestApp(env, { webRoot: testWebRoot });
  const baseUrl = `http://127.0.0.1:${await listenOnLoopback(testApp.app)}`;
  // Playwright gives every launch a new empty profile directory of its own.
  const browser = await launchChromium();
  const reports = join(process.cwd(), 'reports');
  mkdirSync(reports, { recursive: true });
  return {
    testApp,
    baseUrl,
    browser,
    async openPage({ width = 1024 } = {}) {
      // Narrow means a phone: isMobile makes Chromium lay out by the page's meta viewport, as phones do.
      const context = await browser.newContext({ viewport: { width, height: 900 }, isMobile: width < 600, hasTouch: width < 600 });
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
      await Promise.all(fakes.map((fake) => fake.close()));
    },
  };
}

/**
 * Records the answer's text at every DOM change, and whether the "what you see" block was filled by
 * then. A string, because it runs in the page (through the DevTools protocol, which the page's CSP allows).
 */
export const watchAnswer = (page: Page) =>
  page.evaluate(`(() => {
    const answer = document.getElementById('answer');
    const block = document.getElementById('what-you-see');
    window.answerGrowth = [];
    new MutationObserver(() => window.answerGrowth.push({ text: answer.textContent, done: block.childElementCount > 0 }))
      .observe(answer, { childList: true, characterData: true, subtree: true });
  })()`);

/** The distinct non-empty texts the answer showed before the "what you see" block appeared. */
export async function answerStepsBeforeDone(page: Page): Promise<string[]> {
  const growth = (await page.evaluate('window.answerGrowth')) as Array<{ text: string; done: boolean }>;
  return [...new Set(growth.filter(({ done, text }) => !done && text !== '').map(({ text }) => text))];
}
