import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { startFakeSinks, type FakeSinks } from '../helpers/fake-sinks.js';
import { metricValue } from '../helpers/metrics-text.js';
import { pollUntil } from '../fakes/http-fake.js';

const failuresToOpen = 3;
const resetMs = 400;

let sinks: FakeSinks;
let service: TestApp;

beforeAll(async () => {
  sinks = await startFakeSinks();
  service = await startTestApp({
    GEMINI_API_KEY: sinks.env.GEMINI_API_KEY as string,
    GEMINI_BASE_URL: sinks.gemini.url,
    LLM_MAX_RETRIES: '0',
    LLM_CIRCUIT_FAILURES: String(failuresToOpen),
    LLM_CIRCUIT_RESET_MS: String(resetMs),
  });
});
afterAll(async () => {
  await service?.close();
  await sinks?.close();
});

const ask = () =>
  service.app.inject({ method: 'POST', url: '/api/query', payload: { query: 'What is retrieval-augmented generation?' } });
const breakerState = async () => metricValue(await service.metricsText(), 'llm_circuit_breaker_state');

describe('per-model circuit breaker', () => {
  it('opens after sustained failures, then fails fast with 503 without calling the model', async () => {
    await sinks.gemini.setMode('fail');
    for (let i = 0; i < failuresToOpen; i += 1) expect((await ask()).statusCode).toBe(502);
    expect(await breakerState()).toBe(2);

    const callsBefore = sinks.gemini.requests.length;
    const response = await ask();
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ error: 'llm_circuit_open', trace_id: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(response.headers['retry-after']).toBeDefined();
    // Fast means no model round trip.
    expect(sinks.gemini.requests.length).toBe(callsBefore);
    expect(metricValue(await service.metricsText(), 'llm_errors_total', { error_type: 'circuit_open' })).toBe(1);
  });

  it('lets a trial call through after LLM_CIRCUIT_RESET_MS and closes again once the model answers', async () => {
    // Open it here too (a trial that fails opens it again), so that this test does not rely on the one before.
    await sinks.gemini.setMode('fail');
    for (let i = 0; i < failuresToOpen && (i === 0 || (await breakerState()) !== 2); i += 1) await ask();
    expect(await breakerState()).toBe(2);
    await sinks.gemini.setMode('ok');
    await pollUntil(breakerState, (state) => state === 1, 5000, (state) => `breaker state ${state}`);
    const response = await ask();
    expect(response.statusCode, response.body).toBe(200);
    await pollUntil(breakerState, (state) => state === 0, 2000, (state) => `breaker state ${state}`);
  });
});
