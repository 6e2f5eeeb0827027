import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerStepsBeforeDone, startPageHarness, watchAnswer, type PageHarness } from '../helpers/browser.js';

const apiKey = 'page-test-key';
let harness: PageHarness;

beforeAll(async () => {
  // No model key: the offline provider answers, as on a fresh clone. API keys on, as a deployment would.
  harness = await startPageHarness({ API_KEYS: apiKey });
}, 60_000);
afterAll(() => harness?.close());

async function ask(page: Page): Promise<void> {
  await page.getByLabel('Research question').fill('What are the latest advances in RAG systems?');
  await page.getByRole('button', { name: 'Ask' }).click();
}

/** A new tab with the API key entered. */
async function tabWithKey(): Promise<Page> {
  const page = await harness.openPage();
  await page.getByLabel('API key (kept in this tab only)').fill(apiKey);
  return page;
}

describe('the research page offline, with API keys on', () => {
  it('shows that it is offline and asks for the API key when it is missing', async () => {
    const page = await harness.openPage();
    await page.locator('#mode').waitFor();
    expect(await page.locator('#mode').textContent()).toBe('Offline mode: answers quote the corpus, no model is called');
    await ask(page);
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toBe('An API key is needed: enter it under Identity and ask again.');
    expect(await page.getByLabel('API key (kept in this tab only)').isVisible()).toBe(true);
    await page.close();
  });

  it('streams the offline answer in several chunks with its sources and the "what you see" block, keeping the key in this tab only', async () => {
    const page = await tabWithKey();
    await watchAnswer(page);
    await ask(page);
    await page.getByText('Done.').waitFor();
    expect(await page.getByRole('alert').isHidden()).toBe(true);
    expect(await page.locator('#answer').textContent()).toMatch(/^Offline mode \(no model key configured\)[\s\S]*\[1\][\s\S]*Sources: \[1\]/);
    expect(await page.locator('#sources li').count()).toBe(5);
    expect(await page.locator('#what-you-see dd[data-field="model"]').textContent()).toBe('offline-extractive');
    expect(await page.locator('#what-you-see dd[data-field="cost"]').textContent()).toBe('$0.000000');
    // The offline provider streams line by line, 40 ms apart: the page shows the answer growing.
    expect((await answerStepsBeforeDone(page)).length).toBeGreaterThanOrEqual(2);
    expect(await page.evaluate('[sessionStorage.getItem("researcherai.api_key"), localStorage.length]')).toEqual([apiKey, 0]);
    expect(await page.evaluate('sessionStorage.getItem("researcherai.session_id")')).toMatch(/^[0-9a-f-]{36}$/);
    await page.close();
  });

  it('records a thumbs-down and says so', async () => {
    const page = await tabWithKey();
    await ask(page);
    await page.getByText('Done.').waitFor();
    await page.getByRole('button', { name: 'Not helpful', exact: true }).click();
    await page.getByText('Feedback recorded (not helpful). Thank you.').waitFor();
    const text = await (await fetch(`${harness.baseUrl}/metrics`)).text();
    expect(text).toMatch(/^feedback_total\{helpful="false",prompt_version="2"\} 1$/m);
    expect(await page.getByRole('button', { name: 'Not helpful', exact: true }).isDisabled()).toBe(true);
    await page.close();
  });

  it('gives each tab its own session id', async () => {
    const tabs = await Promise.all([harness.openPage(), harness.openPage()]);
    const ids = await Promise.all(tabs.map((tab) => tab.locator('#session-id').textContent()));
    expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(ids[0]).not.toBe(ids[1]);
    await Promise.all(tabs.map((tab) => tab.close()));
  });
});
