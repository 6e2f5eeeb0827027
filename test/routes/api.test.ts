import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';

let testApp: TestApp;
beforeAll(async () => {
  testApp = await startTestApp({ LOG_LEVEL: 'silent' });
});
afterAll(() => testApp.close());

const post = (url: string, payload: unknown) => testApp.app.inject({ method: 'POST', url, payload: payload as object });

describe('POST /api/query (offline provider)', () => {
  it('answers with cited sources and full metadata, at zero cost', async () => {
    const response = await post('/api/query', { query: 'What are the latest advances in RAG systems?', top_k: 3 });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.answer).toMatch(/^Offline mode/);
    expect(body.answer).toContain('[1]');
    expect(body.sources).toHaveLength(3);
    expect(body.sources[0]).toEqual(expect.objectContaining({ id: expect.any(String), title: expect.any(String), authors: expect.any(Array), year: expect.any(Number), url: expect.any(String), score: 1 }));
    expect(body.metadata).toMatchObject({
      model: 'offline-extractive',
      cost_usd: 0,
      query_type: 'survey',
      complexity: 'medium',
      retrieved_docs: 3,
      prompt: { name: 'research-answer', version: 2, label: 'production' },
    });
    expect(body.metadata.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(body.metadata.trace_id).not.toBe('0'.repeat(32));
    expect(body.metadata.tokens.total).toBe(body.metadata.tokens.input + body.metadata.tokens.output);
  });

  it('names the offending fields of a malformed body', async () => {
    const response = await post('/api/query', { query: '', top_k: 50, extra: true });
    expect(response.statusCode).toBe(400);
    const body = response.json();
    expect(body.error).toBe('validation_error');
    const fields = body.details.map((detail: { field: string }) => detail.field);
    expect(fields).toEqual(expect.arrayContaining(['query', 'top_k']));
    expect(body.message).toMatch(/query/);
  });

  it('rejects broken JSON with a JSON error', async () => {
    const response = await testApp.app.inject({ method: 'POST', url: '/api/query', headers: { 'content-type': 'application/json' }, payload: '{"query":' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: 'invalid_json' });
  });

  it('answers unknown routes with a JSON 404', async () => {
    const response = await testApp.app.inject({ url: '/nope' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ error: 'not_found' });
  });
});

describe('POST /api/feedback', () => {
  it('accepts feedback carrying the token issued with the answer, and counts it', async () => {
    const answer = (await post('/api/query', { query: 'Explain knowledge graph embeddings', user_id: 'u1' })).json();
    const ok = await post('/api/feedback', { trace_id: answer.metadata.trace_id, is_helpful: false, user_id: 'u1', feedback_token: answer.metadata.feedback_token });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ status: 'success', vote: 'new' });
    const metrics = (await testApp.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/feedback_total\{helpful="false",prompt_version="2"\} 1/);
  });

  it('refuses a token for another trace or another user', async () => {
    const answer = (await post('/api/query', { query: 'How does vector search work?', user_id: 'u1' })).json();
    const otherUser = await post('/api/feedback', { trace_id: answer.metadata.trace_id, is_helpful: true, user_id: 'u2', feedback_token: answer.metadata.feedback_token });
    expect(otherUser.statusCode).toBe(403);
    const forged = await post('/api/feedback', { trace_id: 'a'.repeat(32), is_helpful: true, feedback_token: answer.metadata.feedback_token });
    expect(forged.statusCode).toBe(403);
    const missing = await post('/api/feedback', { trace_id: answer.metadata.trace_id, is_helpful: true });
    expect(missing.statusCode).toBe(400);
  });
});

describe('operational routes', () => {
  it('reports liveness and readiness', async () => {
    expect((await testApp.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await testApp.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { config: true, corpus: true, prompts: true }, provider: 'offline', sinks: [] });
  });

  it('serves an OpenAPI document generated from the zod schemas', async () => {
    const doc = (await testApp.app.inject({ url: '/docs/json' })).json();
    const query = doc.paths['/api/query'].post;
    expect(query.requestBody.content['application/json'].schema.properties.query).toMatchObject({ type: 'string', maxLength: 4000 });
    expect(query.responses['200']).toBeDefined();
    expect(doc.paths['/api/feedback'].post.requestBody.content['application/json'].schema.required).toEqual(
      expect.arrayContaining(['trace_id', 'is_helpful', 'feedback_token']),
    );
    expect((await testApp.app.inject({ url: '/docs' })).statusCode).toBeLessThan(400);
  });

  it('serves plain-text metrics by default and OpenMetrics with exemplars on request', async () => {
    await post('/api/query', { query: 'transformer attention' });
    const plain = await testApp.app.inject({ url: '/metrics' });
    expect(plain.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(plain.body).toMatch(/^llm_requests_total\{model="offline-extractive",status="success"\} \d+$/m);
    expect(plain.body).toMatch(/^process_cpu_seconds_total /m);
    expect(plain.body).toMatch(/^active_sessions /m);
    const open = await testApp.app.inject({ url: '/metrics', headers: { accept: 'application/openmetrics-text;version=1.0.0,text/plain;q=0.5' } });
    expect(open.headers['content-type']).toMatch(/^application\/openmetrics-text/);
    expect(open.body).toMatch(/llm_latency_seconds_bucket\{le="[^"]+",model="offline-extractive"\} \d+ # \{trace_id="[0-9a-f]{32}"\}/);
    expect(open.body).toMatch(/http_request_duration_seconds_bucket\{le="[^"]+",route="\/api\/query",method="POST",status_code="200"\}/);
  });
});
