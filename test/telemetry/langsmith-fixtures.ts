// Hand-built call descriptions of one research query, shaped like what agents.ts and llm-call.ts emit,
// for tests of the LangSmith run builder and observer that need no app and no tracer provider.
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { LlmCallRecord } from '../../src/llm/types.js';
import type { AgentRecord, RecordSink } from '../../src/telemetry/types.js';
import { startLangSmithFake, type LangSmithFake } from '../fakes/langsmith.js';

export interface TraceFixture {
  root: AgentRecord;
  retriever: AgentRecord;
  reasoner: AgentRecord;
  llm: LlmCallRecord;
}

export function traceFixture(traceId = 'a'.repeat(32), t0 = Date.UTC(2026, 10, 26, 12, 0, 0, 0)): TraceFixture {
  const span = (n: number) => `${traceId.slice(-12)}${String(n).padStart(4, '0')}`;
  const root: AgentRecord = {
    name: 'orchestrator',
    kind: 'chain',
    traceId,
    spanId: span(1),
    parentSpanId: 'f'.repeat(16),
    startedAt: t0,
    endedAt: t0 + 40,
    inputs: { query: 'What is RAG?', top_k: 5 },
    outputs: { answer: 'RAG retrieves then generates [1].', sources: ['lewis2020rag'] },
    metadata: { query_type: 'definition', complexity: 'simple', model: 'gemini-2.5-flash', prompt_version: 2 },
    tags: ['research-query', 'definition', 'simple'],
    trace: { name: 'research-query', userId: 'user-1', sessionId: 'session-1' },
  };
  const retriever: AgentRecord = {
    name: 'retriever',
    kind: 'retriever',
    traceId,
    spanId: span(2),
    parentSpanId: root.spanId,
    startedAt: t0,
    endedAt: t0 + 2,
    inputs: { query: 'What is RAG?', top_k: 5 },
    outputs: { documents: [{ id: 'lewis2020rag', title: 'Retrieval-Augmented Generation', score: 1 }] },
    metadata: {},
  };
  const reasoner: AgentRecord = {
    name: 'reasoner',
    kind: 'chain',
    traceId,
    spanId: span(3),
    parentSpanId: root.spanId,
    startedAt: t0 + 2,
    endedAt: t0 + 39,
    inputs: { query: 'What is RAG?', passages: ['lewis2020rag'] },
    outputs: { answer: 'RAG retrieves then generates [1].' },
    metadata: { model: 'gemini-2.5-flash' },
  };
  const llm: LlmCallRecord = {
    request: {
      model: 'gemini-2.5-flash',
      system: 'You are a research assistant.',
      prompt: 'Papers: [1] ... Question: What is RAG?',
      promptRef: { name: 'research-answer', version: 2 },
      temperature: 0.2,
      maxOutputTokens: 1024,
      passages: [],
    },
    provider: 'gemini',
    status: 'success',
    response: { text: 'RAG retrieves then generates [1].', finishReason: 'STOP', usage: usage(), responseModel: 'gemini-2.5-flash', responseId: 'resp-1' },
    usage: usage(),
    cost: { pricedModel: 'gemini-2.5-flash', costUsd: 0.001306, details: { input: 0.0003, input_cached_tokens: 0.000006, output: 0.00075, output_reasoning_tokens: 0.00025, total: 0.001306 } },
    startedAt: t0 + 2,
    latencyMs: 35.4,
    attempts: 1,
    traceId,
    spanId: span(4),
  };
  return { root, retriever, reasoner, llm };
}

function usage() {
  return { input: 1000, cached: 200, output: 300, reasoning: 100, total: 1600 };
}

/** LangSmith usage for the issue's Gemini usage: thinking counts as output, cache reads sit inside input. */
export const issueUsageMetadata = {
  input_tokens: 1200,
  output_tokens: 400,
  total_tokens: 1600,
  input_token_details: { cache_read: 200 },
  output_token_details: { reasoning: 100 },
};

/** The llm run's usage_metadata for the issue's call: input cost with the cached tokens', output cost with the thinking tokens'. */
export const issueLlmRunUsage = {
  ...issueUsageMetadata,
  input_cost: 0.000306,
  output_cost: 0.001,
  total_cost: 0.001306,
  input_cost_details: { cache_read: 0.000006 },
  output_cost_details: { reasoning: 0.00025 },
};

/** Service environment for the app with Gemini (no retries) and LangSmith tracing, both at their fakes. */
export const geminiWithLangSmithEnv = (geminiUrl: string, langsmithUrl: string, apiKey: string): Record<string, string> => ({
  GEMINI_API_KEY: 'test-key',
  GEMINI_BASE_URL: geminiUrl,
  LLM_MAX_RETRIES: '0',
  LANGSMITH_TRACING: 'true',
  LANGSMITH_API_KEY: apiKey,
  LANGSMITH_ENDPOINT: langsmithUrl,
});

/** One LangSmith fake per test file, back to healthy and empty before each test. */
export function useLangSmithFake(apiKey: string): () => LangSmithFake {
  let fake: LangSmithFake;
  beforeAll(async () => {
    fake = await startLangSmithFake({ apiKey });
  });
  afterAll(() => fake.close());
  beforeEach(async () => {
    await fake.setMode('ok');
    fake.reset();
  });
  return () => fake;
}

/** Emits a trace in the order the app does: children end first, the root last. */
export function emitTrace(sink: RecordSink, trace: TraceFixture): void {
  sink.onAgentEnd?.(trace.retriever);
  sink.onLlmCall?.(trace.llm, trace.reasoner.spanId);
  sink.onAgentEnd?.(trace.reasoner);
  sink.onAgentEnd?.(trace.root);
}
