import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_GEMINI_TEXT, startGeminiFake, type GeminiFake } from '../fakes/gemini.js';
import { pollUntil } from '../fakes/http-fake.js';
import { listenOnLoopback, startTestApp, type TestApp } from '../helpers/app.js';
import { fakeCredentials, geminiEnv } from '../helpers/fake-sinks.js';
import { postJson } from '../helpers/http-client.js';
import { metricValue, seriesValueOrZero } from '../helpers/metrics-text.js';
import { readSse, type SseEvent } from '../helpers/sse.js';

let gemini: GeminiFake;
let testApp: TestApp;
let baseUrl: string;

beforeAll(async () => {
  gemini = await startGeminiFake({ apiKey: fakeCredentials.gemini, chunkDelayMs: 150 });
  testApp = await startTestApp({
    ...geminiEnv(gemini),
    LLM_MAX_RETRIES: '0',
    STREAM_HEARTBEAT_MS: '10',
  });
  baseUrl = `http://127.0.0.1:${await listenOnLoopback(testApp.app)}`;
});
afterAll(async () => {
  // The fetch aborted mid-stream leaves a spare connection open that never carries a request; Node counts
  // it as active, not idle, so close() would wait for the connection timeout.
  testApp.app.server.closeAllConnections();
  await testApp.close();
  await gemini.close();
});

const question = { query: 'What are the latest advances in RAG systems?', top_k: 3 };
const names = (events: SseEvent[]) => events.map(({ event }) => event);
const metricsText = async () => (await fetch(`${baseUrl}/metrics`)).text();

describe('POST /api/query/stream with the Gemini fake', () => {
  it('sends meta, sources, the answer in several deltas, then done with the same cost and tokens as /api/query', async () => {
    const response = await postJson(baseUrl, '/api/query/stream', question);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    const { events, comments } = await readSse(response);

    expect(names(events)).toEqual(['meta', 'sources', 'delta', 'delta', 'delta', 'done']);
    const meta = events[0]?.data as Record<string, unknown>;
    expect(meta).toEqual({
      trace_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      feedback_token: expect.any(String),
      model: 'gemini-2.5-flash',
      prompt: { name: 'research-answer', version: 2, label: 'production' },
      query_type: 'survey',
      complexity: 'medium',
    });
    expect((events[1]?.data as { sources: unknown[] }).sources).toHaveLength(3);
    const text = events.filter(({ event }) => event === 'delta').map(({ data }) => (data as { text: string }).text).join('');
    expect(text).toBe(DEFAULT_GEMINI_TEXT);
    const done = events[5]?.data as Record<string, unknown>;
    expect(done).toMatchObject({
      trace_id: meta.trace_id,
      model: 'gemini-2.5-flash',
      cost_usd: 0.001306,
      tokens: { input: 1000, cached: 200, output: 300, reasoning: 100, total: 1600 },
      retrieved_docs: 3,
    });
    // The chunks arrive 150 ms apart and the heartbeat is set to 10 ms, so comments went out meanwhile.
    expect(comments).toContain('heartbeat');

    const unary = (await (await postJson(baseUrl, '/api/query', question)).json()) as { metadata: Record<string, unknown> };
    expect(unary.metadata.cost_usd).toBe(done.cost_usd);
    expect(unary.metadata.tokens).toEqual(done.tokens);
  });

  it('records time to first chunk as the gen_ai time-to-first-chunk histogram on /metrics, for streamed calls only', async () => {
    const labels = { gen_ai_operation_name: 'generate_content', gen_ai_provider_name: 'gcp.gemini', gen_ai_request_model: 'gemini-2.5-flash' };
    const count = (text: string) => metricValue(text, 'gen_ai_client_operation_time_to_first_chunk_seconds_count', labels);
    const before = await metricsText();
    await readSse(await postJson(baseUrl, '/api/query/stream', question));
    await postJson(baseUrl, '/api/query', question);
    const after = await metricsText();
    expect(after).toContain('# TYPE gen_ai_client_operation_time_to_first_chunk_seconds histogram');
    expect(count(after) - count(before)).toBe(1);
  });

  it("answers a bad body before the first event with /api/query's JSON error", async () => {
    const response = await postJson(baseUrl, '/api/query/stream', { query: '', top_k: 99 });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as { error: string; details: Array<{ field: string }> };
    expect(body.error).toBe('validation_error');
    expect(body.details.map(({ field }) => field)).toEqual(expect.arrayContaining(['query', 'top_k']));
  });

  it('ends with an error event carrying the trace id when the model fails after the stream started', async () => {
    gemini.enqueue({ kind: 'error', status: 500 });
    const { events } = await readSse(await postJson(baseUrl, '/api/query/stream', question));
    expect(names(events)).toEqual(['meta', 'sources', 'error']);
    expect(events[2]?.data).toEqual({
      error: 'llm_server_error',
      message: 'model server error (500)',
      trace_id: (events[0]?.data as { trace_id: string }).trace_id,
    });
  });

  it('cancels the model stream when the client goes away mid-answer, and records the call once as cancelled', async () => {
    const before = await metricsText();
    const leaving = new AbortController();
    const response = await postJson(baseUrl, '/api/query/stream', question, {}, leaving.signal);
    const { events } = await readSse(response, (seen) => seen.some(({ event }) => event === 'delta'));
    leaving.abort();
    expect(names(events)).toEqual(['meta', 'sources', 'delta']);

    await pollUntil(() => gemini.streamsClosedEarly, (count) => count === 1, 5000, (count) => `${count} streams closed early`);
    const after = await pollUntil(metricsText, (text) => metricValue(text, 'query_requests_total', { status: 'cancelled' }) === 1, 5000, () => 'no cancelled query');
    const model = 'gemini-2.5-flash';
    const callsAdded = (status: string) =>
      seriesValueOrZero(after, 'llm_requests_total', { model, status }) - seriesValueOrZero(before, 'llm_requests_total', { model, status });
    expect(metricValue(after, 'llm_requests_total', { model, status: 'cancelled' })).toBeGreaterThan(0);
    expect(callsAdded('cancelled')).toBe(1);
    expect(callsAdded('success')).toBe(0);
    expect(callsAdded('error')).toBe(0);
    // The usage known when the client left: the prompt tokens of the first chunk, nothing more.
    const tokensAdded = (type: string) =>
      metricValue(after, 'llm_tokens_total', { model, type }) - seriesValueOrZero(before, 'llm_tokens_total', { model, type });
    expect(tokensAdded('input')).toBe(1200);
    expect(tokensAdded('output')).toBe(0);
  });
});
