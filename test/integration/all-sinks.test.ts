import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { StartedTelemetry } from '../../src/telemetry/index.js';
import { startGeminiFake, type GeminiFake } from '../fakes/gemini.js';
import { startLangfuseFake, type LangfuseFake } from '../fakes/langfuse.js';
import { startLokiFake, type LokiFake } from '../fakes/loki.js';
import { startOtlpReceiver, type OtlpReceiver } from '../fakes/otlp.js';
import { startTestApp } from '../helpers/app.js';

// One query with every sink on, checked in every sink after a clean shutdown: the same trace id and the
// same numbers everywhere. Usage follows the issue: prompt 1200 (200 cached), candidates 300, thoughts 100.
const expectedTokens = { input: 1000, cached: 200, output: 300, reasoning: 100, total: 1600 };
const expectedCost = 0.001306;
const query = 'What are the latest advances in RAG systems?';

let gemini: GeminiFake;
let otlp: OtlpReceiver;
let langfuse: LangfuseFake;
let loki: LokiFake;
let telemetry: StartedTelemetry;
let app: FastifyInstance;
let body: { answer: string; sources: unknown[]; metadata: Record<string, any> };
let metricsText = '';
let openMetricsText = '';
const incomingTraceId = '4bf92f3577b34da6a3ce929d0e0e4736';
let propagatedTraceId = '';

beforeAll(async () => {
  [gemini, otlp, langfuse, loki] = await Promise.all([
    startGeminiFake({ modelVersion: 'gemini-2.5-flash' }),
    startOtlpReceiver(),
    startLangfuseFake(),
    startLokiFake(),
  ]);
  const service = await startTestApp(
    {
      GEMINI_API_KEY: 'test-key',
      GEMINI_BASE_URL: gemini.url,
      LLM_MAX_RETRIES: '0',
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      LANGFUSE_PUBLIC_KEY: 'pk-lf-test',
      LANGFUSE_SECRET_KEY: 'sk-lf-test',
      LANGFUSE_BASE_URL: langfuse.url,
      LOKI_URL: loki.url,
      LOG_LEVEL: 'info',
      APP_ENV: 'development',
      TELEMETRY_EXPORT_TIMEOUT_MS: '5000',
      // Reached through a trusted hop: the caller's traceparent is honoured (it is ignored by default).
      TRUST_TRACEPARENT: 'true',
    },
    // The service's own logger: its Loki worker is what ships the log lines under test.
    { captureLogs: false },
  );
  telemetry = service.telemetry;
  app = service.app;

  const response = await app.inject({ method: 'POST', url: '/api/query', payload: { query, user_id: 'user-1', session_id: 'session-1' } });
  expect(response.statusCode, response.body).toBe(200);
  body = response.json();
  const feedback = await app.inject({
    method: 'POST',
    url: '/api/feedback',
    payload: { trace_id: body.metadata.trace_id, is_helpful: true, comment: 'useful', user_id: 'user-1', feedback_token: body.metadata.feedback_token },
  });
  expect(feedback.statusCode, feedback.body).toBe(200);
  const propagated = await app.inject({
    method: 'POST',
    url: '/api/query',
    headers: { traceparent: `00-${incomingTraceId}-00f067aa0ba902b7-01` },
    payload: { query },
  });
  propagatedTraceId = propagated.json().metadata.trace_id;
  metricsText = (await app.inject({ url: '/metrics' })).body;
  openMetricsText = (await app.inject({ url: '/metrics', headers: { accept: 'application/openmetrics-text; version=1.0.0' } })).body;

  // Shut down as main.ts does: everything produced so far must reach the fakes.
  await app.close();
  await telemetry.shutdown(10_000);
}, 60_000);

afterAll(async () => {
  await Promise.all([gemini?.close(), otlp?.close(), langfuse?.close(), loki?.close()]);
});

describe('one query with every sink on', () => {
  it('answers with sources and exact usage and cost from the Gemini response', () => {
    expect(body.answer.length).toBeGreaterThan(0);
    expect(body.sources.length).toBeGreaterThan(0);
    expect(body.metadata.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(body.metadata.model).toBe('gemini-2.5-flash');
    expect(body.metadata.tokens).toEqual(expectedTokens);
    expect(body.metadata.cost_usd).toBe(expectedCost);
    expect(body.metadata.prompt).toEqual({ name: 'research-answer', version: 2 });
    expect(body.metadata.agents.map((agent: { name: string }) => agent.name)).toEqual(['retriever', 'reasoner']);
  });

  it('honours an incoming W3C traceparent', () => {
    expect(propagatedTraceId).toBe(incomingTraceId);
  });

  it('exports the same cost and tokens to Prometheus, with the trace id as exemplar', () => {
    expect(metricsText).toContain(`llm_cost_total{model="gemini-2.5-flash",prompt_version="2"} ${expectedCost * 2}`);
    expect(metricsText).toContain('llm_tokens_total{model="gemini-2.5-flash",type="cached"} 400');
    expect(metricsText).toContain('llm_tokens_total{model="gemini-2.5-flash",type="reasoning"} 200');
    expect(metricsText).not.toContain(' # {trace_id=');
    const exemplarTraceIds = [...openMetricsText.matchAll(/llm_latency_seconds_bucket\{[^}]*\} \d+ # \{trace_id="([0-9a-f]{32})"\}/g)].map((m) => m[1]);
    expect(exemplarTraceIds).toContain(propagatedTraceId);
    expect(openMetricsText.trimEnd().endsWith('# EOF')).toBe(true);
  });

  it('sends Jaeger one trace: HTTP, then orchestrator, then retriever and reasoner, then generate_content', () => {
    const spans = otlp.spans().filter((span) => span.traceId === body.metadata.trace_id);
    const byName = (name: string) => spans.find((span) => span.name === name);
    const http = byName('POST /api/query');
    const orchestrator = byName('invoke_agent orchestrator');
    const retriever = byName('invoke_agent retriever');
    const reasoner = byName('invoke_agent reasoner');
    const generation = byName('generate_content gemini-2.5-flash');
    expect(http, spans.map((s) => s.name).join(', ')).toBeDefined();
    expect(http?.kind).toBe(2);
    expect(orchestrator?.parentSpanId).toBe(http?.spanId);
    expect(retriever?.parentSpanId).toBe(orchestrator?.spanId);
    expect(reasoner?.parentSpanId).toBe(orchestrator?.spanId);
    expect(generation?.parentSpanId).toBe(reasoner?.spanId);
    expect(generation?.kind).toBe(3);
    expect(generation?.attributes).toMatchObject({
      'gen_ai.operation.name': 'generate_content',
      'gen_ai.provider.name': 'gcp.gemini',
      'gen_ai.request.model': 'gemini-2.5-flash',
      'gen_ai.response.model': 'gemini-2.5-flash',
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.usage.cache_read.input_tokens': 200,
      'gen_ai.usage.output_tokens': 400,
      'gen_ai.usage.reasoning.output_tokens': 100,
      'gen_ai.usage.cost': expectedCost,
    });
    expect(generation?.resource['service.name']).toBe('researcherai');
    // Content capture is off by default: prompts and answers stay out of Jaeger.
    expect(Object.keys(generation?.attributes ?? {}).filter((key) => key.endsWith('.input') || key.endsWith('.output'))).toEqual([]);
  });

  it('sends LangFuse the generation with usage, cost and prompt version under the same trace id', () => {
    const generation = langfuse
      .observations()
      .find((observation) => observation.traceId === body.metadata.trace_id && observation.type === 'generation');
    expect(generation).toBeDefined();
    expect(generation?.model).toBe('gemini-2.5-flash');
    expect(generation?.usageDetails).toEqual({ input: 1000, input_cached_tokens: 200, output: 300, output_reasoning_tokens: 100, total: 1600 });
    expect(generation?.costDetails?.total).toBe(expectedCost);
    expect(generation?.promptName).toBe('research-answer');
    expect(generation?.promptVersion).toBe(2);
    expect(generation?.level).toBe('DEFAULT');
    expect(JSON.stringify(generation?.input)).toContain(query);
    const root = langfuse.observations().find((o) => o.traceId === body.metadata.trace_id && o.name === 'invoke_agent orchestrator');
    expect(root?.attributes).toMatchObject({ 'user.id': 'user-1', 'session.id': 'session-1', 'langfuse.trace.name': 'research-query' });
    expect(root?.attributes['langfuse.trace.metadata.query_type']).toBe('survey');
  });

  it('records the feedback as the LangFuse score user-feedback', () => {
    const score = langfuse.scores().find((s) => s.traceId === body.metadata.trace_id);
    expect(score).toMatchObject({ name: 'user-feedback', value: 1, comment: 'useful' });
  });

  it('ships log lines to Loki with the trace id as structured metadata, and the same cost', async () => {
    const entries = await loki.entries();
    const ofTrace = entries.filter((entry) => entry.metadata?.trace_id === body.metadata.trace_id);
    expect(ofTrace.length).toBeGreaterThanOrEqual(2);
    const llmLine = ofTrace.map((entry) => JSON.parse(entry.line)).find((line) => line.event === 'llm_call');
    expect(llmLine).toMatchObject({ cost_usd: expectedCost, tokens: expectedTokens, prompt: { version: 2 }, trace_id: body.metadata.trace_id });
    expect(Object.keys(ofTrace[0]?.labels ?? {}).sort()).toEqual(['environment', 'level', 'service']);
  });
});
