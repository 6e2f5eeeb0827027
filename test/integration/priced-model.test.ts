import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { startGeminiFake, type GeminiFake } from '../fakes/gemini.js';
import { startLangfuseFake, type LangfuseFake } from '../fakes/langfuse.js';

// A model the old table did not know, reported by Gemini as the model that served the call. The fake's
// usage (prompt 1200 with 200 cached, candidates 300, thoughts 100) at 2.0 Flash's rates (0.10 / 0.025 / 0.40):
// 1000 × 0.10 + 200 × 0.025 + (300 + 100) × 0.40 per 1M tokens.
const expectedCost = 0.000265;
const expectedDetails = { input: 0.0001, input_cached_tokens: 0.000005, output: 0.00012, output_reasoning_tokens: 0.00004, total: expectedCost };

let gemini: GeminiFake;
let langfuse: LangfuseFake;
let service: TestApp;
let body: { metadata: Record<string, any> };
let metricsText = '';

beforeAll(async () => {
  [gemini, langfuse] = await Promise.all([
    startGeminiFake({ apiKey: 'test-key', modelVersion: 'gemini-2.0-flash' }),
    startLangfuseFake({ publicKey: 'pk-lf-test', secretKey: 'sk-lf-test' }),
  ]);
  service = await startTestApp({
    GEMINI_API_KEY: 'test-key',
    GEMINI_BASE_URL: gemini.url,
    LLM_MAX_RETRIES: '0',
    LANGFUSE_PUBLIC_KEY: 'pk-lf-test',
    LANGFUSE_SECRET_KEY: 'sk-lf-test',
    LANGFUSE_BASE_URL: langfuse.url,
  });
  const response = await service.app.inject({ method: 'POST', url: '/api/query', payload: { query: 'What are the latest advances in RAG systems?' } });
  expect(response.statusCode, response.body).toBe(200);
  body = response.json();
  metricsText = await service.metricsText();
  await service.close();
}, 30_000);

afterAll(async () => {
  await Promise.all([gemini?.close(), langfuse?.close()]);
});

describe('a call served by gemini-2.0-flash', () => {
  it('is priced in the response', () => {
    expect(body.metadata.model).toBe('gemini-2.0-flash');
    expect(body.metadata.cost_usd).toBe(expectedCost);
  });

  it('adds the same cost to llm_cost_total, and nothing to the unpriced counter', () => {
    expect(metricsText).toContain(`llm_cost_total{model="gemini-2.0-flash",prompt_version="2"} ${expectedCost}`);
    expect(metricsText).not.toMatch(/^llm_unpriced_calls_total\{/m);
  });

  it('gives LangFuse the same cost, with reasoning as its own key, so LangFuse does not price it itself', () => {
    const generation = langfuse.observations().find((observation) => observation.traceId === body.metadata.trace_id && observation.type === 'generation');
    expect(generation?.model).toBe('gemini-2.0-flash');
    expect(generation?.costDetails).toEqual(expectedDetails);
  });

  it('logs the same cost, with no unknown-cost warning', () => {
    const line = service.logs.find((entry) => entry.event === 'llm_call');
    expect(line).toMatchObject({ model: 'gemini-2.0-flash', response_model: 'gemini-2.0-flash', cost_usd: expectedCost, trace_id: body.metadata.trace_id });
    expect(service.logs.filter((entry) => entry.msg === 'llm cost unknown: model not in price table')).toEqual([]);
  });
});
