import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGeminiFake, type GeminiFake } from '../fakes/gemini.js';
import { startPageHarness, type PageHarness } from '../helpers/browser.js';
import { fakeCredentials, geminiEnv } from '../helpers/fake-sinks.js';

let gemini: GeminiFake;
let harness: PageHarness;

beforeAll(async () => {
  gemini = await startGeminiFake({ apiKey: fakeCredentials.gemini });
  harness = await startPageHarness({
    ...geminiEnv(gemini),
    LLM_MAX_RETRIES: '0',
    RATE_LIMIT_PER_USER_PER_MINUTE: '2',
  }, [gemini]);
}, 60_000);
afterAll(() => harness?.close());

async function ask(page: Page, { topK = '3', userId = '' } = {}): Promise<string> {
  await page.getByLabel('Research question').fill('What are the latest advances in RAG systems?');
  await page.getByLabel('Papers to retrieve (top-k)').fill(topK);
  if (userId) {
    await page.getByText('Identity').click();
    await page.getByLabel('User id (optional)').fill(userId);
  }
  await page.getByRole('button', { name: 'Ask' }).click();
  const error = page.getByRole('alert');
  await error.waitFor();
  return (await error.textContent()) as string;
}

describe('the research page shows failures plainly', () => {
  it('names the field of a 400', async () => {
    const page = await harness.openPage();
    expect(await ask(page, { topK: '50' })).toBe('Please fix: top_k — Too big: expected number to be <=20.');
    await page.close();
  });

  it('shows the trace id when the model fails (the 502 llm_server_error of /api/query, after the stream started)', async () => {
    gemini.enqueue({ kind: 'error', status: 500 });
    const page = await harness.openPage();
    const message = await ask(page);
    expect(message).toMatch(/^The answer failed: llm_server_error — model server error \(500\)\. Trace id: [0-9a-f]{32}\.$/);
    expect(await page.locator('#what-you-see dd').count()).toBe(0);
    expect(await page.locator('#feedback').isHidden()).toBe(true);
    await harness.screenshot(page, 'research-page-502');
    await page.close();
  });

  it('says when to retry after a 429', async () => {
    const page = await harness.openPage();
    await page.getByText('Identity').click();
    await page.getByLabel('User id (optional)').fill('busy-reader');
    await page.getByLabel('Research question').fill('What are the latest advances in RAG systems?');
    // The limit is 2 questions a minute per user id (RATE_LIMIT_PER_USER_PER_MINUTE): the third is refused.
    for (let question = 0; question < 2; question += 1) {
      await page.getByRole('button', { name: 'Ask' }).click();
      await page.getByText('Done.').waitFor();
    }
    await page.getByRole('button', { name: 'Ask' }).click();
    await page.getByRole('alert').waitFor();
    const [, seconds] = /^Too many requests\. Retry in (\d+) s\.$/.exec((await page.getByRole('alert').textContent()) ?? '') ?? [];
    expect(Number(seconds)).toBeGreaterThanOrEqual(1);
    expect(Number(seconds)).toBeLessThanOrEqual(60);
    await page.close();
  });
});
