import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenOnLoopback, startTestApp, type TestApp } from '../helpers/app.js';
import { launchChromium } from '../helpers/chromium.js';

// What a real browser does with the CORS and CSP headers: a page on a listed origin can call the API
// with a key, a page elsewhere cannot read a thing, and /docs renders under its policy with no inline script.
let service: TestApp;
let apiUrl: string;
let browser: Browser;
const sites: Server[] = [];

/** A blank page on an origin of its own (another port of 127.0.0.1). */
async function startSite(): Promise<string> {
  const site = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>site</title>'));
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  sites.push(site);
  return `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
}

let allowedSite: string;
let otherSite: string;

beforeAll(async () => {
  [allowedSite, otherSite] = [await startSite(), await startSite()];
  service = await startTestApp({ CORS_ORIGINS: allowedSite, API_KEYS: 'web:key-w', DOCS_PUBLIC: 'true' });
  apiUrl = `http://127.0.0.1:${await listenOnLoopback(service.app)}`;
  browser = await launchChromium();
}, 30_000);
afterAll(async () => {
  await browser?.close();
  await service?.close();
  await Promise.all(sites.map((site) => new Promise((resolve) => site.close(resolve))));
});

async function openAt(url: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(url);
  return page;
}

/** A cross-origin POST with the API key, as the page's own script would send it. */
const askFrom = (page: Page) =>
  page.evaluate(async (api) => {
    try {
      const response = await fetch(`${api}/api/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer key-w' },
        body: JSON.stringify({ query: 'what is RAG?' }),
      });
      return { status: response.status, traceId: ((await response.json()) as { metadata?: { trace_id?: string } }).metadata?.trace_id };
    } catch (error) {
      return { failed: String(error) };
    }
  }, apiUrl);

describe('in Chromium', () => {
  it('lets a page on a listed origin call the API with its key (preflight and POST)', async () => {
    const page = await openAt(allowedSite);
    expect(await askFrom(page)).toEqual({ status: 200, traceId: expect.stringMatching(/^[0-9a-f]{32}$/) });
  });

  it('lets a page on any other origin read nothing', async () => {
    const page = await openAt(otherSite);
    expect(await askFrom(page)).toEqual({ failed: 'TypeError: Failed to fetch' });
  });

  it('renders Swagger UI on /docs under its policy, and blocks inline script there', async () => {
    const page = await (await browser.newContext()).newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) violations.push(message.text());
    });
    await page.goto(`${apiUrl}/docs`);
    await page.waitForSelector('.opblock-summary-path', { timeout: 15_000 });
    expect(await page.locator('.opblock-summary-path').allTextContents()).toEqual(expect.arrayContaining(['/api/query', '/api/feedback']));
    expect(violations).toEqual([]);
    // A string, evaluated in the page: the test itself is compiled without DOM types.
    const inlineRan = await page.evaluate(`(() => {
      const script = document.createElement('script');
      script.textContent = 'window.inlineRan = true';
      document.body.append(script);
      return window.inlineRan ?? false;
    })()`);
    expect(inlineRan).toBe(false);
    await expect.poll(() => violations.length).toBeGreaterThan(0);
  }, 30_000);
});
