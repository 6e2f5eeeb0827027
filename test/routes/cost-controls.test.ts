import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startGeminiFake, type GeminiFake } from '../fakes/gemini.js';
import { listenOnLoopback, startTestApp, type TestApp } from '../helpers/app.js';
import { postJson } from '../helpers/http-client.js';
import { metricValue, metricValueIfAny } from '../helpers/metrics-text.js';
import { readSse } from '../helpers/sse.js';

// The acceptance: a Gemini-protocol server answering usage {1200 prompt, 200 cached,
// 300 candidates, 100 thoughts} as gemini-2.5-flash, so each answer costs
// 1000 × 0.30/M + 200 × 0.03/M + 400 × 2.50/M = $0.001306.
const callCost = 0.001306;

let gemini: GeminiFake;
let service: TestApp | undefined;
beforeAll(async () => {
  gemini = await startGeminiFake({ apiKey: 'test-key', latencyMs: 20 });
});
afterEach(async () => {
  await service?.close();
  service = undefined;
});
afterAll(() => gemini.close());

const start = async (env: Record<string, string> = {}) => {
  service = await startTestApp({ GEMINI_API_KEY: 'test-key', GEMINI_BASE_URL: gemini.url, LLM_RETRY_BASE_MS: '10', CACHE_TTL_SECONDS: '3600', ...env });
  return service;
};
const ask = (app: TestApp, query: string, options: { headers?: Record<string, string>; userId?: string } = {}) =>
  app.app.inject({
    method: 'POST',
    url: '/api/query',
    headers: options.headers,
    payload: { query, ...(options.userId ? { user_id: options.userId } : {}) },
  });
const modelCalls = () => gemini.calls.filter((call) => call.action === 'generateContent').length;
// Every question is "survey"/"medium", so every call goes to gemini-2.5-flash.
const survey = (topic: string) => `What are the latest advances in ${topic}?`;

describe('response cache', () => {
  it('answers the same query twice with one model call; the hit costs 0 and saves $0.001306', async () => {
    const app = await start();
    const before = modelCalls();
    const first = await ask(app, survey('RAG systems'));
    const metricsBefore = await app.metricsText();
    const second = await ask(app, survey('RAG systems'));
    const metricsAfter = await app.metricsText();

    expect(modelCalls() - before).toBe(1);
    expect(first.json().metadata).toMatchObject({ model: 'gemini-2.5-flash', cost_usd: callCost, cache: { hit: false } });
    expect(second.statusCode).toBe(200);
    expect(second.json().answer).toBe(first.json().answer);
    expect(second.json().metadata).toMatchObject({
      cost_usd: 0,
      tokens: { input: 0, cached: 0, output: 0, reasoning: 0, total: 0 },
      cache: { hit: true, age_s: 0, saved_usd: callCost },
    });
    expect(second.json().metadata.trace_id).not.toBe(first.json().metadata.trace_id);

    // Before the first hit the saved-dollars series does not exist yet: that reads as 0.
    const grew = (name: string, labels = {}) => metricValue(metricsAfter, name, labels) - metricValueIfAny(metricsBefore, name, labels);
    expect(grew('llm_cost_saved_usd_total', { model: 'gemini-2.5-flash' })).toBeCloseTo(callCost, 12);
    expect(grew('llm_cost_total')).toBe(0);
    expect(grew('llm_tokens_total')).toBe(0);
    expect(grew('llm_cache_requests_total', { result: 'hit' })).toBe(1);
    const callLines = app.logs.filter((line) => line.event === 'llm_call');
    expect(callLines.map((line) => line.cache)).toEqual(['miss', 'hit']);
  });

  it('makes a model call for Cache-Control: no-cache, and neither reads nor writes for no-store', async () => {
    const app = await start();
    await ask(app, survey('vector databases'));
    const before = modelCalls();
    const refreshed = await ask(app, survey('vector databases'), { headers: { 'cache-control': 'no-cache' } });
    expect(modelCalls() - before).toBe(1);
    expect(refreshed.json().metadata).toMatchObject({ cost_usd: callCost, cache: { hit: false } });
    const unstored = await ask(app, survey('graph neural networks'), { headers: { 'cache-control': 'no-store' } });
    expect(unstored.json().metadata.cache).toEqual({ hit: false });
    await ask(app, survey('graph neural networks'));
    expect(modelCalls() - before).toBe(3);
    expect(metricValue(await app.metricsText(), 'llm_cache_requests_total', { result: 'bypass' })).toBe(2);
  });

  it('makes one model call for ten concurrent identical new queries', async () => {
    const app = await start();
    const before = modelCalls();
    const responses = await Promise.all(Array.from({ length: 10 }, () => ask(app, survey('speculative decoding'))));
    expect(responses.map((response) => response.statusCode)).toEqual(Array(10).fill(200));
    expect(modelCalls() - before).toBe(1);
    expect(responses.filter((response) => response.json().metadata.cache.hit)).toHaveLength(9);
  });

  it('answers a streamed query from the cache as one delta, with the hit in the done event', async () => {
    const app = await start();
    const first = (await ask(app, survey('streamed answers'))).json();
    const before = modelCalls();
    const baseUrl = `http://127.0.0.1:${await listenOnLoopback(app.app)}`;
    const { events } = await readSse(await postJson(baseUrl, '/api/query/stream', { query: survey('streamed answers') }));
    expect(modelCalls()).toBe(before);
    expect(events.filter(({ event }) => event === 'delta').map(({ data }) => data)).toEqual([{ text: first.answer }]);
    expect(events.at(-1)).toMatchObject({ event: 'done', data: { cost_usd: 0, cache: { hit: true, saved_usd: callCost } } });
  });

  it('is off with CACHE_TTL_SECONDS=0', async () => {
    const app = await start({ CACHE_TTL_SECONDS: '0' });
    const before = modelCalls();
    await ask(app, survey('mixture of experts'));
    const second = await ask(app, survey('mixture of experts'));
    expect(modelCalls() - before).toBe(2);
    expect(second.json().metadata).toMatchObject({ cost_usd: callCost, cache: { hit: false } });
  });
});

describe('spend budgets', () => {
  it('refuses a caller before its spend passes $0.01, whatever user_id each query names', async () => {
    const app = await start({ BUDGET_USD_PER_DAY_PER_CALLER: '0.01' });
    let spent = 0;
    let refusal;
    for (let index = 0; index < 20 && !refusal; index += 1) {
      const before = modelCalls();
      const response = await ask(app, survey(`topic number ${index}`), { userId: `rotating-user-${index}` });
      if (response.statusCode === 200) spent += response.json().metadata.cost_usd;
      else {
        refusal = response;
        expect(modelCalls()).toBe(before);
      }
    }
    expect(refusal?.statusCode).toBe(429);
    expect(spent).toBeGreaterThan(0.005);
    expect(spent).toBeLessThanOrEqual(0.01);
    const body = refusal?.json();
    expect(body).toMatchObject({ error: 'budget_exceeded', scope: 'caller', budget_usd: 0.01 });
    expect(body.spent_usd).toBeCloseTo(spent, 9);
    expect(Date.parse(body.resets_at) % 86_400_000).toBe(0);
    expect(Number(refusal?.headers['retry-after'])).toBe(Math.ceil((Date.parse(body.resets_at) - Date.now()) / 1000));
    expect(metricValue(await app.metricsText(), 'budget_rejections_total', { scope: 'caller' })).toBe(1);
    // A cache hit costs nothing and is still served.
    expect((await ask(app, survey('topic number 0'))).json().metadata.cache.hit).toBe(true);
  });

  it('never spends more than the budget with 20 concurrent new queries', async () => {
    const app = await start({ BUDGET_USD_PER_DAY: '0.01' });
    const before = modelCalls();
    const responses = await Promise.all(Array.from({ length: 20 }, (_, index) => ask(app, survey(`concurrent topic ${index}`))));
    const answered = responses.filter((response) => response.statusCode === 200);
    const spent = answered.reduce((sum, response) => sum + response.json().metadata.cost_usd, 0);
    expect(spent).toBeLessThanOrEqual(0.01);
    expect(answered.length).toBeGreaterThan(0);
    expect(answered.length).toBeLessThan(20);
    expect(responses.filter((response) => response.statusCode === 429)).toHaveLength(20 - answered.length);
    expect(modelCalls() - before).toBe(answered.length);
    const metrics = await app.metricsText();
    expect(metricValue(metrics, 'budget_limit_usd', { scope: 'service' })).toBe(0.01);
    expect(metricValue(metrics, 'budget_spent_usd', { scope: 'service' })).toBeCloseTo(spent, 9);
  });
});
