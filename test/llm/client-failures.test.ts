import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startGeminiFake, type GeminiFake, type GeminiScript } from '../fakes/gemini.js';
import { linesWithMessage, startTestApp, type TestApp } from '../helpers/app.js';
import { metricValue, metricValueIfAny } from '../helpers/metrics-text.js';

// How the LLM client treats failures, through the app and the real Gemini SDK against the fake: which
// failures may open the breaker, how retries are counted, what a failed call still bills, and how long a
// 429 makes it wait. The wait is read from the sleep the client asks for, not from a clock.
const sleeps = vi.hoisted(() => [] as number[]);
vi.mock('node:timers/promises', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:timers/promises')>();
  return {
    ...original,
    setTimeout: async (ms: number) => {
      sleeps.push(ms);
    },
  };
});

const circuitFailures = 2;
// A failed MAX_TOKENS call that spent its budget on thinking: billed for the prompt and the thoughts.
const thinkingUsage = { promptTokenCount: 1200, cachedContentTokenCount: 200, candidatesTokenCount: 0, thoughtsTokenCount: 1024 };
const thinkingCostUsd = 0.002866; // 1000 × 0.30 + 200 × 0.03 + 1024 × 2.50 per 1M tokens (gemini-2.5-flash)

let gemini: GeminiFake;
let service: TestApp | undefined;

beforeAll(async () => {
  gemini = await startGeminiFake({ apiKey: 'test-key', modelVersion: 'gemini-2.5-flash', usage: thinkingUsage });
});
afterEach(async () => {
  await service?.close();
  service = undefined;
  sleeps.length = 0;
  gemini.reset();
});
afterAll(() => gemini?.close());

/** A fresh app (so a fresh breaker) with fast retries, against the fake. */
async function start(settings: Record<string, string> = {}) {
  service = await startTestApp({
    GEMINI_API_KEY: 'test-key',
    GEMINI_BASE_URL: gemini.url,
    LLM_MAX_RETRIES: '0',
    LLM_RETRY_BASE_MS: '1',
    LLM_RETRY_MAX_DELAY_MS: '400',
    LLM_CIRCUIT_FAILURES: String(circuitFailures),
    LLM_CIRCUIT_RESET_MS: '60000',
    ...settings,
  });
  return service;
}

async function ask(...script: GeminiScript[]) {
  gemini.enqueue(...script);
  const response = await service!.app.inject({ method: 'POST', url: '/api/query', payload: { query: 'What is retrieval-augmented generation?' } });
  return { status: response.statusCode, error: (response.json() as { error?: string }).error };
}

const metric = async (name: string, labels: Record<string, string> = {}) => metricValue(await service!.metricsText(), name, labels);

describe('the circuit breaker', () => {
  it('opens on server errors (the control for the two tests below)', async () => {
    await start();
    for (let i = 0; i < circuitFailures; i += 1) expect(await ask({ kind: 'error', status: 500 })).toEqual({ status: 502, error: 'llm_server_error' });
    const callsBefore = gemini.calls.length;
    expect(await ask()).toEqual({ status: 503, error: 'llm_circuit_open' });
    expect(gemini.calls.length).toBe(callsBefore);
    expect(await metric('llm_circuit_breaker_state')).toBe(2);
  });

  it('is never opened by blocked prompts', async () => {
    await start();
    for (let i = 0; i < circuitFailures * 3; i += 1) expect(await ask({ kind: 'blocked', reason: 'SAFETY' })).toEqual({ status: 502, error: 'llm_blocked' });
    expect(await ask({ kind: 'ok' })).toEqual({ status: 200, error: undefined });
    expect(await metric('llm_circuit_breaker_state')).toBe(0);
  });

  it('is never opened by 4xx answers', async () => {
    await start();
    for (const status of [400, 404, 400, 404, 400, 404] as const) expect(await ask({ kind: 'error', status })).toEqual({ status: 502, error: 'llm_client_error' });
    expect(await ask({ kind: 'ok' })).toEqual({ status: 200, error: undefined });
    expect(await metric('llm_circuit_breaker_state')).toBe(0);
  });
});

describe('retries', () => {
  it('counts exactly the attempts that were retried in llm_retries_total', async () => {
    await start({ LLM_MAX_RETRIES: '2', LLM_CIRCUIT_FAILURES: '1000' });
    expect(await ask({ kind: 'error', status: 500 }, { kind: 'error', status: 503 }, { kind: 'ok' })).toEqual({ status: 200, error: undefined });
    expect(await metric('llm_retries_total', { error_type: 'server_error' })).toBe(2);
    // Three failures with two retries allowed: the last one is not retried.
    expect((await ask(...Array.from({ length: 3 }, () => ({ kind: 'error', status: 503 }) as const))).status).toBe(502);
    expect(await metric('llm_retries_total', { error_type: 'server_error' })).toBe(4);
    // Not retryable: no retry to count.
    expect((await ask({ kind: 'blocked' })).status).toBe(502);
    expect(await metric('llm_retries_total')).toBe(4);
  });

  it('waits the RetryInfo delay before retrying a 429, capped at LLM_RETRY_MAX_DELAY_MS', async () => {
    await start({ LLM_MAX_RETRIES: '2', LLM_CIRCUIT_FAILURES: '1000' });
        expect(await ask({ kind: 'error', status: 429, retryDelay: '0.25s' }, { kind: 'error', status: 429, retryDelay: '120s' }, { kind: 'ok' })).toEqual({
      status: 200,
      error: undefined,
    });
    expect(gemini.calls).toHaveLength(3);
    expect(sleeps).toEqual([250, 400]);
    expect(await metric('llm_retries_total', { error_type: 'rate_limited' })).toBe(2);
  });
});

describe('a failed call', () => {
  it('still reports the tokens and the cost it was billed (MAX_TOKENS spent on thinking)', async () => {
    await start();
    const tokensBefore = metricValueIfAny(await service!.metricsText(), 'llm_tokens_total', { type: 'reasoning' });
    expect(await ask({ kind: 'finish', finishReason: 'MAX_TOKENS', text: '' })).toEqual({ status: 502, error: 'llm_max_tokens' });
    const model = { model: 'gemini-2.5-flash' };
    expect(tokensBefore).toBe(0);
    expect(await metric('llm_tokens_total', { ...model, type: 'input' })).toBe(1000);
    expect(await metric('llm_tokens_total', { ...model, type: 'cached' })).toBe(200);
    expect(await metric('llm_tokens_total', { ...model, type: 'output' })).toBe(0);
    expect(await metric('llm_tokens_total', { ...model, type: 'reasoning' })).toBe(1024);
    expect(await metric('llm_cost_total', model)).toBe(thinkingCostUsd);
    expect(linesWithMessage(service!.logs, 'llm call failed')).toEqual([
      expect.objectContaining({ error_type: 'max_tokens', cost_usd: thinkingCostUsd, tokens: { input: 1000, cached: 200, output: 0, reasoning: 1024, total: 2224 } }),
    ]);
  });
});
