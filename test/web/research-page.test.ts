import { statSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_GEMINI_TEXT } from '../fakes/gemini.js';
import { pollUntil } from '../fakes/http-fake.js';
import { answerStepsBeforeDone, startPageHarness, watchAnswer, type PageHarness } from '../helpers/browser.js';
import { startFakeSinks, type FakeSinks } from '../helpers/fake-sinks.js';

let sinks: FakeSinks;
let harness: PageHarness;
const startedAt = Date.now();

beforeAll(async () => {
  // Chunks 250 ms apart: the answer cannot land in one network read, so growth is observable.
  sinks = await startFakeSinks({ gemini: { chunkDelayMs: 250 } });
  harness = await startPageHarness({
    ...sinks.env,
    LLM_MAX_RETRIES: '0',
    UI_JAEGER_URL: 'http://jaeger.example:16686',
    UI_LANGFUSE_URL: 'http://langfuse.example:3000/project/researcherai',
  }, [sinks]);
}, 60_000);
afterAll(() => harness?.close());

async function ask(page: Page, question: string): Promise<void> {
  await page.getByLabel('Research question').fill(question);
  await page.getByLabel('Papers to retrieve (top-k)').fill('3');
  await page.getByRole('button', { name: 'Ask' }).click();
}

const field = (page: Page, name: string) => page.locator(`#what-you-see dd[data-field="${name}"]`);

/** A new tab that asked the question and got the whole answer, with that answer's trace id. */
async function answeredTab(): Promise<{ page: Page; traceId: string }> {
  const page = await harness.openPage();
  await ask(page, 'What are the latest advances in RAG systems?');
  await page.getByText('Done.').waitFor();
  return { page, traceId: (await field(page, 'trace-id').locator('code').textContent()) as string };
}

describe('the research page, in Chromium, answering with the Gemini fake', () => {
  it('streams the answer in several steps, then shows the sources and the "what you see" block', async () => {
    const page = await harness.openPage();
    await watchAnswer(page);
    await ask(page, 'What are the latest advances in RAG systems?');
    await page.getByText('Done.').waitFor();

    const beforeDone = await answerStepsBeforeDone(page);
    expect(beforeDone.length).toBeGreaterThanOrEqual(2);
    for (const [index, text] of beforeDone.entries()) {
      expect(DEFAULT_GEMINI_TEXT.startsWith(text)).toBe(true);
      if (index > 0) expect(text.length).toBeGreaterThan((beforeDone[index - 1] as string).length);
    }
    expect(await page.locator('#answer').textContent()).toBe(DEFAULT_GEMINI_TEXT);
    // Citations [1] and [2] link to the listed sources.
    expect(await page.locator('#answer a').evaluateAll((links) => links.map((link) => link.getAttribute('href')))).toEqual(['#source-1', '#source-2']);
    const sources = page.locator('#sources li');
    expect(await sources.count()).toBe(3);
    expect(await sources.first().textContent()).toMatch(/Retrieval-Augmented Generation.*\(20\d\d\) · score 1\.00$/);
    expect(await sources.first().locator('a').getAttribute('href')).toMatch(/^https:\/\//);

    expect(await field(page, 'cost').textContent()).toBe('$0.001306');
    expect(await field(page, 'tokens').textContent()).toBe('input 1000 · cached 200 · output 300 · reasoning 100');
    expect(await field(page, 'model').textContent()).toBe('gemini-2.5-flash');
    expect(await field(page, 'prompt').textContent()).toBe('research-answer v2 · variant production');
    expect(await field(page, 'retrieved-documents').textContent()).toMatch(/^3 · average relevance 0\.\d\d$/);
    expect(await field(page, 'latency').textContent()).toMatch(/^\d+\.\d\d s$/);
    expect(await field(page, 'time-to-first-token').textContent()).toMatch(/^\d+\.\d\d s \(seen by this page\)$/);
    const traceId = (await field(page, 'trace-id').locator('code').textContent()) as string;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const links = await field(page, 'trace-id').locator('a').evaluateAll((anchors) => anchors.map((a) => [a.textContent, a.getAttribute('href')]));
    // UI_GRAFANA_URL is unset, so there is no Grafana link.
    expect(links).toEqual([
      ['Jaeger', `http://jaeger.example:16686/trace/${traceId}`],
      ['LangFuse', `http://langfuse.example:3000/project/researcherai/traces/${traceId}`],
    ]);
    expect(await page.locator('#mode').isHidden()).toBe(true);

    const path = await harness.screenshot(page, 'research-page');
    expect(statSync(path).mtimeMs).toBeGreaterThanOrEqual(startedAt);
    await page.close();
  });

  it('sets completionStartTime on the LangFuse generation and time to first chunk on the span', async () => {
    const { page, traceId } = await answeredTab();
    await page.close();
    const { observations } = await sinks.langfuse.waitFor(({ observations: seen }) => seen.some((o) => o.traceId === traceId && o.type === 'generation'));
    const generation = observations.find((o) => o.traceId === traceId && o.type === 'generation');
    const completionStart = Date.parse(String(generation?.attributes['langfuse.observation.completion_start_time']).replaceAll('"', ''));
    const ttfc = generation?.attributes['gen_ai.response.time_to_first_chunk'] as number;
    expect(ttfc).toBeGreaterThan(0);
    const spanStartMs = Number(BigInt(generation?.span.startTimeUnixNano ?? 0) / 1_000_000n);
    expect(Math.abs(completionStart - (spanStartMs + ttfc * 1000))).toBeLessThan(5);
  });

  it('records a thumbs-up as the LangFuse score user-feedback on that trace', async () => {
    const { page, traceId } = await answeredTab();
    await page.getByLabel('Comment (optional)').fill('clear and cited');
    await page.getByRole('button', { name: 'Helpful', exact: true }).click();
    await page.getByText('Feedback recorded (helpful). Thank you.').waitFor();
    const { scores } = await sinks.langfuse.waitFor(({ scores: seen }) => seen.some((score) => score.traceId === traceId));
    expect(scores.filter((score) => score.traceId === traceId)).toEqual([
      expect.objectContaining({ name: 'user-feedback', value: 1, traceId, comment: 'clear and cited' }),
    ]);
    await page.close();
  });

  it('shows markup in a model answer as text, and runs none of it', async () => {
    const hostile = 'Look: <img src=x onerror="window.pwned=\'img\'"> and <script>window.pwned=\'script\'</script> [1]';
    sinks.gemini.enqueue({ kind: 'ok', text: hostile });
    const tab = await harness.openPage();
    await ask(tab, 'What are the latest advances in RAG systems?');
    await tab.getByText('Done.').waitFor();
    expect(await tab.locator('#answer').textContent()).toBe(hostile);
    expect(await tab.locator('img, #answer script').count()).toBe(0);
    expect(await tab.evaluate('window.pwned')).toBeUndefined();
    await tab.close();
  });

  it('cancels the model call when the reader stops the answer mid-stream', async () => {
    const closedBefore = sinks.gemini.streamsClosedEarly;
    const tab = await harness.openPage();
    await ask(tab, 'What are the latest advances in RAG systems?');
    await tab.locator('#answer').filter({ hasText: /\S/ }).waitFor();
    await tab.getByRole('button', { name: 'Stop' }).click();
    await tab.getByText('Stopped: the model call was cancelled.').waitFor();
    await pollUntil(() => sinks.gemini.streamsClosedEarly, (count) => count === closedBefore + 1, 5000, (count) => `${count} streams closed early`);
    expect(await tab.locator('#what-you-see dd').count()).toBe(0);
    await tab.close();
  });

  it('works at 375 px wide and from the keyboard alone', async () => {
    const tab = await harness.openPage({ width: 375 });
    await tab.keyboard.press('Tab');
    expect(await tab.evaluate('document.activeElement.id')).toBe('query');
    // Focus is visible: the :focus-visible outline, not the browser's default.
    expect(await tab.evaluate('getComputedStyle(document.activeElement).outline')).toMatch(/^rgb\(255, 176, 0\) solid 3px$/);
    await tab.keyboard.type('What are the latest advances in RAG systems?');
    await tab.keyboard.press('Enter');
    await tab.getByText('Done.').waitFor();
    expect(await tab.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    // Every control has a label or a visible name.
    const unnamed = await tab.locator('input, textarea, button').evaluateAll((controls) =>
      controls.filter((control) => !(control as unknown as { labels?: unknown[] }).labels?.length && !control.textContent?.trim()).map((control) => control.id),
    );
    expect(unnamed).toEqual([]);
    await harness.screenshot(tab, 'research-page-375px');
    await tab.close();
  });
});
