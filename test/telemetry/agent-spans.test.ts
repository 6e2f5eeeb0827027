import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLlmClient } from '../../src/llm/client.js';
import { createGeminiProvider } from '../../src/llm/providers/gemini.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { llmRequest } from '../helpers/llm-request.js';
import { startGeminiFake, type GeminiFake } from '../fakes/gemini.js';
import { startOtlpReceiver, type OtlpReceiver, type OtlpSpan } from '../fakes/otlp.js';

// A query with a session, a failing query, and a streamed and an unary call made through the LLM client,
// all exported to the OTLP receiver: the agent and inference spans carry what the GenAI conventions ask.
let gemini: GeminiFake;
let otlp: OtlpReceiver;
let service: TestApp;
const traceIds = { ok: '', failed: '', streamed: '', unary: '' };

beforeAll(async () => {
  [gemini, otlp] = await Promise.all([startGeminiFake({ apiKey: 'test-key' }), startOtlpReceiver()]);
  service = await startTestApp({
    GEMINI_API_KEY: 'test-key',
    GEMINI_BASE_URL: gemini.url,
    LLM_MAX_RETRIES: '0',
    LOG_LEVEL: 'silent',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${otlp.url}/v1/traces`,
  });
  const ask = (payload: object) => service.app.inject({ method: 'POST', url: '/api/query', payload });
  traceIds.ok = (await ask({ query: 'What is RAG?', session_id: 'conversation-7' })).json().metadata.trace_id;
  gemini.enqueue({ kind: 'error', status: 503 });
  traceIds.failed = (await ask({ query: 'What is RAG?' })).json().trace_id;
  const client = createLlmClient({
    provider: createGeminiProvider({ apiKey: 'test-key', baseUrl: gemini.url }),
    providerName: 'gemini',
    telemetry: service.telemetry,
    settings: service.config.llm,
  });
  traceIds.streamed = (await client.generate(llmRequest('gemini-2.5-flash', true))).traceId;
  traceIds.unary = (await client.generate(llmRequest('gemini-2.5-flash', false))).traceId;
  await service.close();
}, 30_000);

afterAll(async () => {
  await Promise.all([gemini?.close(), otlp?.close()]);
});

const spansOf = (traceId: string) => otlp.spans().filter((span) => span.traceId === traceId);
const agentSpans = (traceId: string) => spansOf(traceId).filter((span) => span.name.startsWith('invoke_agent '));
const generation = (traceId: string) => spansOf(traceId).find((span) => span.name.startsWith('generate_content ')) as OtlpSpan;

describe('invoke_agent spans', () => {
  it('carry gen_ai.provider.name, the provider of the model the agents use', () => {
    const spans = agentSpans(traceIds.ok);
    expect(spans.map((span) => span.name).sort()).toEqual(['invoke_agent orchestrator', 'invoke_agent reasoner', 'invoke_agent retriever']);
    for (const span of spans) {
      expect(span.attributes, span.name).toMatchObject({ 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.provider.name': 'gcp.gemini' });
      expect(span.attributes['error.type'], span.name).toBeUndefined();
    }
  });

  it('put the session on the root as session.id and gen_ai.conversation.id', () => {
    const root = agentSpans(traceIds.ok).find((span) => span.name === 'invoke_agent orchestrator');
    expect(root?.attributes).toMatchObject({ 'session.id': 'conversation-7', 'gen_ai.conversation.id': 'conversation-7' });
    const unsessioned = agentSpans(traceIds.failed).find((span) => span.name === 'invoke_agent orchestrator');
    expect(unsessioned?.attributes).not.toHaveProperty('gen_ai.conversation.id');
  });

  it('carry error.type on failure: the model error kind on the agents it passed through, not on the one that succeeded', () => {
    const byName = Object.fromEntries(agentSpans(traceIds.failed).map((span) => [span.name, span]));
    expect(byName['invoke_agent reasoner']?.attributes['error.type']).toBe('server_error');
    expect(byName['invoke_agent orchestrator']?.attributes['error.type']).toBe('server_error');
    expect(byName['invoke_agent reasoner']?.status.code).toBe(2);
    expect(byName['invoke_agent retriever']?.attributes['error.type']).toBeUndefined();
  });
});

describe('inference spans', () => {
  it('set gen_ai.request.stream only when the call streams', () => {
    expect(generation(traceIds.streamed).attributes['gen_ai.request.stream']).toBe(true);
    expect(generation(traceIds.unary).attributes).not.toHaveProperty('gen_ai.request.stream');
    expect(generation(traceIds.ok).attributes).not.toHaveProperty('gen_ai.request.stream');
  });
});
