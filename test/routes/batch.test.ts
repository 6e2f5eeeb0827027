import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { startFakeSinks, type FakeSinks } from '../helpers/fake-sinks.js';
import { metricValue } from '../helpers/metrics-text.js';

let sinks: FakeSinks;
let service: TestApp | undefined;
beforeAll(async () => {
  sinks = await startFakeSinks();
});
afterEach(async () => {
  await service?.close();
  service = undefined;
});
afterAll(() => sinks.close());

const start = async (env: Record<string, string> = {}) => {
  service = await startTestApp({ ...sinks.env, LLM_RETRY_BASE_MS: '10', CACHE_TTL_SECONDS: '3600', ...env });
  return service;
};
const batch = (app: TestApp, payload: unknown) => app.app.inject({ method: 'POST', url: '/api/batch', payload: payload as object });

describe('POST /api/batch', () => {
  it('answers three items in order, one failing at the model, each in its own trace linked to the batch', async () => {
    const app = await start();
    // One at a time, so the scripted failure lands on the second item.
    sinks.gemini.enqueue({ kind: 'ok' }, { kind: 'blocked', reason: 'SAFETY' }, { kind: 'ok' });
    const response = await batch(app, {
      queries: [
        { id: 'first', query: 'What are the latest advances in retrieval?' },
        { id: 'second', query: 'What are the latest advances in agents?' },
        { query: 'What are the latest advances in evaluation?', top_k: 2 },
      ],
      user_id: 'batch-user',
      concurrency: 1,
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.items.map((item: { id: string; status: string }) => [item.id, item.status])).toEqual([
      ['first', 'ok'],
      ['second', 'error'],
      ['2', 'ok'],
    ]);
    expect(body.items[1].error).toEqual({ error: 'llm_blocked', message: expect.stringContaining('SAFETY') });
    expect(body.items[2].sources).toHaveLength(2);
    expect(body.summary).toMatchObject({ total: 3, succeeded: 2, failed: 1, cost_usd: 0.002612, saved_usd: 0 });
    const [first, , third] = body.items;
    expect(first.metadata.trace_id).not.toBe(third.metadata.trace_id);

    for (const item of [first, third]) {
      const feedback = await app.app.inject({
        method: 'POST',
        url: '/api/feedback',
        payload: { trace_id: item.metadata.trace_id, is_helpful: true, user_id: 'batch-user', feedback_token: item.metadata.feedback_token },
      });
      expect(feedback.statusCode).toBe(200);
    }

    const spans = await sinks.otlp.waitForSpans((all) =>
      [first, third].every((item) => all.some((span) => span.traceId === item.metadata.trace_id && span.name === 'invoke_agent orchestrator')),
    );
    const roots = [first, third].map(
      (item) => spans.find((span) => span.traceId === item.metadata.trace_id && span.name === 'invoke_agent orchestrator')!,
    );
    for (const root of roots) {
      expect(root.parentSpanId).toBeUndefined();
      expect(root.links).toHaveLength(1);
    }
    const batchLink = roots[0]!.links[0]!;
    expect(roots[1]!.links[0]).toEqual(batchLink);
    const batchTrace = await sinks.otlp.waitForSpans((all) => all.some((span) => span.spanId === batchLink.spanId));
    expect(batchTrace.find((span) => span.spanId === batchLink.spanId)?.name).toBe('POST /api/batch');

    const state = await sinks.langfuse.waitFor(({ observations }) => observations.some((observation) => observation.name === 'batch_processed'));
    const event = state.observations.find((observation) => observation.name === 'batch_processed')!;
    expect(event.type).toBe('event');
    expect(event.traceId).toBe(batchLink.traceId);
    // The LangFuse SDK sends metadata values as strings.
    expect(event.metadata).toMatchObject({ batch_id: body.batch_id, batch_size: '3', succeeded: '2', failed: '1' });
    const itemRoots = state.observations.filter((observation) => observation.name === 'invoke_agent orchestrator' && roots.some((root) => root.spanId === observation.id));
    expect(itemRoots).toHaveLength(2);
    for (const root of itemRoots) {
      expect(root.attributes['session.id']).toBe(`batch-${body.batch_id}`);
      expect(root.attributes['langfuse.trace.metadata.batch_id']).toBe(body.batch_id);
    }

    const metrics = await app.metricsText();
    expect(metricValue(metrics, 'batch_items_total', { status: 'ok' })).toBe(2);
    expect(metricValue(metrics, 'batch_items_total', { status: 'error' })).toBe(1);
    expect(metricValue(metrics, 'batch_size_count')).toBe(1);
    expect(metricValue(metrics, 'batch_size_sum')).toBe(3);
  });

  it('shares one model call among identical items', async () => {
    const app = await start();
    const before = sinks.gemini.calls.length;
    const query = 'What are the latest advances in batching identical items?';
    const response = await batch(app, { queries: [{ query }, { query }, { query }] });
    expect(sinks.gemini.calls.length - before).toBe(1);
    expect(response.json().summary).toMatchObject({ succeeded: 3, cost_usd: 0.001306, saved_usd: 0.002612 });
  });

  it('names the item and field of an invalid batch, and refuses empty and oversized ones', async () => {
    const app = await start({ BATCH_MAX_ITEMS: '3', BATCH_MAX_CONCURRENCY: '2' });
    const emptyQuery = await batch(app, { queries: [{ query: 'What is RAG?' }, { query: '   ' }] });
    expect(emptyQuery.statusCode).toBe(400);
    expect(emptyQuery.json()).toMatchObject({ error: 'validation_error', message: expect.stringContaining('queries.1.query') });
    const fields = emptyQuery.json().details.map((detail: { field: string }) => detail.field);
    expect(fields.length).toBeGreaterThan(0);
    expect(new Set(fields)).toEqual(new Set(['queries.1.query']));

    const cases: Array<[unknown, string]> = [
      [{ queries: [] }, 'queries'],
      [{ queries: Array(4).fill({ query: 'What is RAG?' }) }, 'queries'],
      [{ queries: [{ query: 'What is RAG?' }], concurrency: 3 }, 'concurrency'],
      [{ queries: [{ query: 'What is RAG?', top_k: 0 }] }, 'queries.0.top_k'],
      [{ queries: [{ query: 'What is RAG?', extra: 1 }] }, 'queries.0'],
    ];
    for (const [payload, field] of cases) {
      const response = await batch(app, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json().details.map((detail: { field: string }) => detail.field)).toContain(field);
    }
  });

  it('counts against the rate limit as its number of items', async () => {
    const app = await start({ RATE_LIMIT_PER_MINUTE: '5' });
    const queries = Array.from({ length: 3 }, (_, index) => ({ query: `What are the latest advances in limits ${index}?` }));
    expect((await batch(app, { queries })).statusCode).toBe(200);
    const refused = await batch(app, { queries });
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ error: 'rate_limited', message: expect.stringContaining('counts as 3 requests') });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // Each item counted on the caller's one counter: 3 + 3 of 5.
    const next = await app.app.inject({ method: 'POST', url: '/api/query', payload: { query: 'What is RAG?' } });
    expect(next.statusCode).toBe(429);
    expect(next.headers['x-ratelimit-limit']).toBe('5');
    expect(next.headers['x-ratelimit-remaining']).toBe('0');
  });
});
