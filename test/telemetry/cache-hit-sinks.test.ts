import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LangSmithRun } from '../fakes/langsmith-store.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { startFakeSinks, type FakeSinks } from '../helpers/fake-sinks.js';

// A cache hit is described once and reaches every sink: the span (Jaeger) and the LangFuse generation
// carry llm.cache.hit, cost 0 and the trace of the call that paid; the LangSmith llm run says
// cache_hit; the log line says cache: "hit".
let sinks: FakeSinks;
let service: TestApp;
let miss: { trace_id: string };
let hit: { trace_id: string };

beforeAll(async () => {
  sinks = await startFakeSinks();
  service = await startTestApp({ ...sinks.env, CACHE_TTL_SECONDS: '3600' });
  const ask = async () =>
    (await service.app.inject({ method: 'POST', url: '/api/query', payload: { query: 'What are the latest advances in cache telemetry?' } })).json()
      .metadata as { trace_id: string };
  miss = await ask();
  hit = await ask();
});
afterAll(async () => {
  await service?.close();
  await sinks?.close();
});

const generationName = 'generate_content gemini-2.5-flash';

describe('a cache hit in every sink', () => {
  it('is a generation span with llm.cache.hit, zero usage and cost, and the origin trace id', async () => {
    const spans = await sinks.otlp.waitForSpans((all) => [miss, hit].every((q) => all.some((span) => span.traceId === q.trace_id && span.name === generationName)));
    const generation = (traceId: string) => spans.find((span) => span.traceId === traceId && span.name === generationName)!;
    expect(generation(miss.trace_id).attributes).toMatchObject({ 'llm.cache.hit': false, 'gen_ai.usage.cost': 0.001306 });
    expect(generation(hit.trace_id).attributes).toMatchObject({
      'llm.cache.hit': true,
      'llm.cache.origin_trace_id': miss.trace_id,
      'llm.cache.saved_usd': 0.001306,
      'gen_ai.usage.cost': 0,
      'gen_ai.usage.input_tokens': 0,
      'gen_ai.usage.output_tokens': 0,
    });
  });

  it('is a LangFuse generation with cost 0 and cache metadata', async () => {
    const state = await sinks.langfuse.waitFor(({ observations }) => observations.some((o) => o.traceId === hit.trace_id && o.type === 'generation'));
    const generation = state.observations.find((o) => o.traceId === hit.trace_id && o.type === 'generation')!;
    expect(generation.costDetails).toEqual({ input: 0, input_cached_tokens: 0, output: 0, output_reasoning_tokens: 0, total: 0 });
    expect(generation.usageDetails).toMatchObject({ input: 0, output: 0, total: 0 });
    expect(generation.metadata).toMatchObject({ cache_hit: 'true', cache_origin_trace_id: miss.trace_id });
  });

  it('is a LangSmith llm run with cache_hit in its metadata', async () => {
    const metadataOf = (run: LangSmithRun) => (run.extra?.metadata ?? {}) as Record<string, unknown>;
    const runs = await sinks.langsmith.waitForRuns((all) => all.some((run) => run.run_type === 'llm' && metadataOf(run).cache_hit === true));
    const llm = runs.find((run) => run.run_type === 'llm' && metadataOf(run).cache_hit === true)!;
    expect(metadataOf(llm)).toMatchObject({ cache_hit: true, cache_saved_usd: 0.001306, cache_origin_trace_id: miss.trace_id });
    expect(runs.filter((run) => run.run_type === 'llm' && metadataOf(run).cache_hit === false)).toHaveLength(1);
  });

  it('is one log line with cache: "hit"', () => {
    const lines = service.logs.filter((line) => line.event === 'llm_call');
    expect(lines.map((line) => [line.trace_id, line.cache, line.cost_usd])).toEqual([
      [miss.trace_id, 'miss', 0.001306],
      [hit.trace_id, 'hit', 0],
    ]);
  });
});
