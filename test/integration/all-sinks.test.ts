import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { StartedTelemetry } from '../../src/telemetry/index.js';
import { startGeminiFake, type GeminiFake } from '../fakes/gemini.js';
import { startLangfuseFake, type LangfuseFake } from '../fakes/langfuse.js';
import { startLangSmithFake, type LangSmithFake, type LangSmithRun } from '../fakes/langsmith.js';
import { startLokiFake, type LokiFake } from '../fakes/loki.js';
import { startOtlpReceiver, type OtlpReceiver } from '../fakes/otlp.js';
import { startTestApp } from '../helpers/app.js';
import { metricValue } from '../helpers/metrics-text.js';

// The contract call with every sink on (LangSmith included), checked in every sink after a clean
// shutdown with exact equality: Gemini usage {prompt 1200, cached 200, candidates 300, thoughts 100} on
// gemini-2.5-flash costs $0.001306 = 1000 × 0.30 + 200 × 0.03 + (300 + 100) × 2.50 per 1M tokens.
const model = 'gemini-2.5-flash';
const expectedTokens = { input: 1000, cached: 200, output: 300, reasoning: 100, total: 1600 };
const expectedCost = 0.001306;
// Reasoning has a cost key of its own (300 × 2.50 + 100 × 2.50 per 1M tokens); the total is the sum of the four.
const expectedCostDetails = { input: 0.0003, input_cached_tokens: 0.000006, output: 0.00075, output_reasoning_tokens: 0.00025, total: expectedCost };
const query = 'What are the latest advances in RAG systems?';
const langsmithKey = 'ls-all-sinks-key';

let gemini: GeminiFake;
let otlp: OtlpReceiver;
let langfuse: LangfuseFake;
let langsmith: LangSmithFake;
let loki: LokiFake;
let telemetry: StartedTelemetry;
let app: FastifyInstance;
type QueryBody = { answer: string; sources: unknown[]; metadata: Record<string, any> };
/** The contract call; `metricsText`/`openMetricsText` are read right after it, so they hold it alone. */
let body: QueryBody;
let metricsText = '';
let openMetricsText = '';
/** A second query, under an incoming traceparent, which gets the unhelpful verdict. */
const incomingTraceId = '4bf92f3577b34da6a3ce929d0e0e4736';
let propagated: QueryBody;

const ask = async (headers: Record<string, string> = {}, extra: Record<string, string> = {}) => {
  const response = await app.inject({ method: 'POST', url: '/api/query', headers, payload: { query, ...extra } });
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as QueryBody;
};

/** The LangSmith runs of a trace, once all four (orchestrator, retriever, reasoner, llm) have arrived. */
async function langsmithRuns(otelTraceId: string): Promise<LangSmithRun[]> {
  const inTrace = (runs: LangSmithRun[]) => {
    const root = runs.find((run) => (run.extra?.metadata as Record<string, unknown> | undefined)?.otel_trace_id === otelTraceId);
    return root ? runs.filter((run) => run.trace_id === root.id) : [];
  };
  return inTrace(await langsmith.waitForRuns((runs) => inTrace(runs).length === 4, 10_000));
}

async function sendFeedback(answer: QueryBody, isHelpful: boolean, comment: string) {
  // LangSmith attaches feedback to the root run, which must have been sent first.
  await langsmithRuns(answer.metadata.trace_id);
  const response = await app.inject({
    method: 'POST',
    url: '/api/feedback',
    payload: { trace_id: answer.metadata.trace_id, is_helpful: isHelpful, comment, user_id: 'user-1', feedback_token: answer.metadata.feedback_token },
  });
  expect(response.statusCode, response.body).toBe(200);
}

beforeAll(async () => {
  [gemini, otlp, langfuse, langsmith, loki] = await Promise.all([
    startGeminiFake({ modelVersion: model }),
    startOtlpReceiver(),
    startLangfuseFake(),
    startLangSmithFake({ apiKey: langsmithKey }),
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
      LANGSMITH_TRACING: 'true',
      LANGSMITH_API_KEY: langsmithKey,
      LANGSMITH_ENDPOINT: langsmith.url,
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

  body = await ask({}, { user_id: 'user-1', session_id: 'session-1' });
  metricsText = (await app.inject({ url: '/metrics' })).body;
  openMetricsText = (await app.inject({ url: '/metrics', headers: { accept: 'application/openmetrics-text; version=1.0.0' } })).body;
  await sendFeedback(body, true, 'useful');
  propagated = await ask({ traceparent: `00-${incomingTraceId}-00f067aa0ba902b7-01` }, { user_id: 'user-1' });
  await sendFeedback(propagated, false, 'not useful');

  // Shut down as main.ts does: everything produced so far must reach the fakes.
  await app.close();
  await telemetry.shutdown(10_000);
}, 60_000);

afterAll(async () => {
  await Promise.all([gemini?.close(), otlp?.close(), langfuse?.close(), langsmith?.close(), loki?.close()]);
});

describe('the contract call with every sink on', () => {
  it('answers with sources and exact usage and cost from the Gemini response', () => {
    expect(body.answer.length).toBeGreaterThan(0);
    expect(body.sources.length).toBeGreaterThan(0);
    expect(body.metadata.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(body.metadata.model).toBe(model);
    expect(body.metadata.tokens).toEqual(expectedTokens);
    expect(body.metadata.cost_usd).toBe(expectedCost);
    expect(body.metadata.prompt).toEqual({ name: 'research-answer', version: 2, label: 'production' });
    expect(body.metadata.agents.map((agent: { name: string }) => agent.name)).toEqual(['retriever', 'reasoner']);
  });

  it('honours an incoming W3C traceparent', () => {
    expect(propagated.metadata.trace_id).toBe(incomingTraceId);
  });

  it('counts every token series and the cost in Prometheus exactly', () => {
    for (const [type, tokens] of Object.entries(expectedTokens).filter(([type]) => type !== 'total')) {
      expect(metricValue(metricsText, 'llm_tokens_total', { model, type }), type).toBe(tokens);
    }
    expect(metricValue(metricsText, 'llm_cost_total', { model, prompt_version: '2' })).toBe(expectedCost);
    expect(metricValue(metricsText, 'llm_requests_total', { model, status: 'success' })).toBe(1);
    expect(metricValue(metricsText, 'query_cost_usd_sum', { query_type: 'survey' })).toBe(expectedCost);
    expect(metricValue(metricsText, 'active_sessions')).toBe(1);
    expect(metricsText).not.toContain(' # {trace_id=');
  });

  it('puts the trace id and the cost on the query_cost_usd exemplar, and the trace id on the latency exemplar', () => {
    const exemplars = (metric: string) =>
      [...openMetricsText.matchAll(new RegExp(`^${metric}_bucket\\{([^}]*)\\} \\d+ # \\{trace_id="([0-9a-f]{32})"\\} (\\S+)`, 'gm'))].map(
        ([, labels, traceId, value]) => ({ labels, traceId, value: Number(value) }),
      );
    expect(exemplars('query_cost_usd')).toEqual([{ labels: 'le="0.005",query_type="survey"', traceId: body.metadata.trace_id, value: expectedCost }]);
    expect(exemplars('llm_latency_seconds').map(({ traceId }) => traceId)).toEqual([body.metadata.trace_id]);
    expect(openMetricsText.trimEnd().endsWith('# EOF')).toBe(true);
  });

  it('sends Jaeger one trace: HTTP, then orchestrator, then retriever and reasoner, then generate_content', () => {
    const spans = otlp.spans().filter((span) => span.traceId === body.metadata.trace_id);
    const byName = (name: string) => spans.find((span) => span.name === name);
    const http = byName('POST /api/query');
    const orchestrator = byName('invoke_agent orchestrator');
    const retriever = byName('invoke_agent retriever');
    const reasoner = byName('invoke_agent reasoner');
    const generation = byName(`generate_content ${model}`);
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
      'gen_ai.request.model': model,
      'gen_ai.response.model': model,
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

  it('sends LangFuse the generation with its usage, the whole cost breakdown and the prompt version', () => {
    const generation = langfuse
      .observations()
      .find((observation) => observation.traceId === body.metadata.trace_id && observation.type === 'generation');
    expect(generation?.model).toBe(model);
    expect(generation?.usageDetails).toEqual({ input: 1000, input_cached_tokens: 200, output: 300, output_reasoning_tokens: 100, total: 1600 });
    expect(generation?.costDetails).toEqual(expectedCostDetails);
    expect(generation?.promptName).toBe('research-answer');
    expect(generation?.promptVersion).toBe(2);
    expect(generation?.level).toBe('DEFAULT');
    expect(JSON.stringify(generation?.input)).toContain(query);
    const root = langfuse.observations().find((o) => o.traceId === body.metadata.trace_id && o.name === 'invoke_agent orchestrator');
    expect(root?.attributes).toMatchObject({ 'user.id': 'user-1', 'session.id': 'session-1', 'langfuse.trace.name': 'research-query' });
    expect(root?.attributes['langfuse.trace.metadata.query_type']).toBe('survey');
  });

  it('sends LangSmith the llm run with its usage and the whole cost breakdown', async () => {
    const llm = (await langsmithRuns(body.metadata.trace_id)).find((run) => run.run_type === 'llm');
    const usageMetadata = {
      input_tokens: 1200,
      output_tokens: 400,
      total_tokens: 1600,
      input_token_details: { cache_read: 200 },
      output_token_details: { reasoning: 100 },
      input_cost: 0.000306,
      output_cost: 0.001,
      total_cost: expectedCost,
      input_cost_details: { cache_read: 0.000006 },
      output_cost_details: { reasoning: 0.00025 },
    };
    expect(llm?.outputs?.usage_metadata).toEqual(usageMetadata);
    expect(llm?.extra?.metadata).toMatchObject({ ls_provider: 'google', ls_model_name: model, usage_metadata: usageMetadata });
  });

  it('records each verdict with its value: LangFuse score user-feedback and LangSmith feedback, 1 and 0', async () => {
    const verdicts = [
      { answer: body, value: 1, comment: 'useful' },
      { answer: propagated, value: 0, comment: 'not useful' },
    ];
    for (const { answer, value, comment } of verdicts) {
      const traceId = answer.metadata.trace_id;
      expect(langfuse.scores().filter((score) => score.traceId === traceId)).toEqual([
        expect.objectContaining({ name: 'user-feedback', value, comment, dataType: 'BOOLEAN', metadata: { user_id: 'user-1' } }),
      ]);
      const root = (await langsmithRuns(traceId)).find((run) => run.name === 'orchestrator');
      expect(langsmith.feedback().filter((feedback) => feedback.run_id === root?.id)).toEqual([
        expect.objectContaining({ key: 'user-feedback', score: value, comment }),
      ]);
    }
  });

  it('ships the llm_call line to Loki with the trace id as structured metadata and the same numbers', async () => {
    const entries = await loki.entries();
    const ofTrace = entries.filter((entry) => entry.metadata?.trace_id === body.metadata.trace_id);
    const llmLines = ofTrace.map((entry) => JSON.parse(entry.line)).filter((line) => line.event === 'llm_call');
    expect(llmLines).toEqual([
      expect.objectContaining({
        msg: 'llm call',
        status: 'success',
        model,
        response_model: model,
        tokens: expectedTokens,
        cost_usd: expectedCost,
        attempts: 1,
        // The LangFuse fake holds no prompt here, so the file's version answered, as a fallback.
        prompt: { name: 'research-answer', version: 2, isFallback: true },
        trace_id: body.metadata.trace_id,
      }),
    ]);
    expect(Object.keys(ofTrace[0]?.labels ?? {}).sort()).toEqual(['environment', 'level', 'service']);
  });
});
