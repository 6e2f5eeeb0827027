import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { describe, expect, it, vi } from 'vitest';
import { LlmError } from '../../src/llm/errors.js';
import { withAgentProvider } from '../../src/telemetry/fanout.js';
import type { LlmCallRecord } from '../../src/llm/types.js';
import { metricValue } from '../helpers/metrics-text.js';
import { buildFanout, withoutParent } from './fanout-helpers.js';
import { traceFixture } from './langsmith-fixtures.js';

// The fan-out with the real span, LangFuse, Prometheus and log sinks (LangSmith recorded): each description
// reaches every sink once, with exact values, in the right trace; a throwing sink loses its own signal only.
const model = 'gemini-2.5-flash';
const server = { host: 'gemini.test', port: 443 };
const { llm } = traceFixture();

/** Starts a call the way the client does and describes it with `record` (ids from the handle). */
function describeCall(built: ReturnType<typeof buildFanout>, record: Partial<LlmCallRecord> = {}) {
  const handle = built.fanout.startLlmCall(record.request ?? llm.request, 'gcp.gemini', server);
  const full: LlmCallRecord = { ...llm, ...record, traceId: handle.traceId, spanId: handle.spanId };
  handle.finish(full);
  return { handle, record: full };
}

const generationAttributes = {
  'gen_ai.operation.name': 'generate_content',
  'gen_ai.provider.name': 'gcp.gemini',
  'gen_ai.request.model': model,
  'gen_ai.request.temperature': 0.2,
  'gen_ai.request.max_tokens': 1024,
  'server.address': 'gemini.test',
  'server.port': 443,
  'langfuse.observation.type': 'generation',
  'langfuse.observation.model.name': model,
  'langfuse.observation.model.parameters': JSON.stringify({ temperature: 0.2, maxOutputTokens: 1024 }),
  'langfuse.observation.input': JSON.stringify([
    { role: 'system', content: llm.request.system },
    { role: 'user', content: llm.request.prompt },
  ]),
  'langfuse.observation.output': JSON.stringify({ role: 'assistant', content: llm.response!.text }),
  'langfuse.observation.usage_details': JSON.stringify({ input: 1000, input_cached_tokens: 200, output: 300, output_reasoning_tokens: 100, total: 1600 }),
  'langfuse.observation.cost_details': JSON.stringify({ input: 0.0003, input_cached_tokens: 0.000006, output: 0.00075, output_reasoning_tokens: 0.00025, total: 0.001306 }),
  'langfuse.observation.prompt.name': 'research-answer',
  'langfuse.observation.prompt.version': 2,
  'langfuse.observation.level': 'DEFAULT',
  'langfuse.observation.metadata.attempts': '1',
  'langfuse.observation.metadata.prompt_is_fallback': 'false',
  'langfuse.observation.metadata.provider': 'gemini',
  'gen_ai.usage.input_tokens': 1200,
  'gen_ai.usage.cache_read.input_tokens': 200,
  'gen_ai.usage.output_tokens': 400,
  'gen_ai.usage.reasoning.output_tokens': 100,
  'llm.retry.attempts': 1,
  'llm.prompt.name': 'research-answer',
  'llm.prompt.version': 2,
  'gen_ai.usage.cost': 0.001306,
  'gen_ai.response.model': model,
  'gen_ai.response.id': 'resp-1',
  'gen_ai.response.finish_reasons': ['stop'],
};

describe('fan-out of a model call', () => {
  it('gives the call one CLIENT span carrying the GenAI and LangFuse attributes, and the handle its ids', async () => {
    const built = buildFanout();
    const { handle } = withoutParent(() => describeCall(built));
    const [span, ...others] = built.spans();
    expect(others).toEqual([]);
    expect(span!.name).toBe(`generate_content ${model}`);
    expect(span!.kind).toBe(SpanKind.CLIENT);
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
    expect(span!.attributes).toEqual(generationAttributes);
    expect([handle.traceId, handle.spanId]).toEqual([span!.spanContext().traceId, span!.spanContext().spanId]);
    expect(span!.parentSpanContext).toBeUndefined();
    expect(built.errors).toEqual([]);
  });

  it('runs the model call inside its span, so that what it logs carries the call’s ids', () => {
    const built = buildFanout();
    const handle = built.fanout.startLlmCall(llm.request, 'gcp.gemini', server);
    const active = handle.runInContext(() => trace.getActiveSpan()?.spanContext());
    expect(active).toMatchObject({ traceId: handle.traceId, spanId: handle.spanId });
    expect(handle.runInContext(() => 42)).toBe(42);
  });

  it('counts the call in Prometheus, logs it with its trace id, and hands LangSmith the record once', async () => {
    const built = buildFanout();
    const { handle, record } = describeCall(built);
    handle.finish(record);
    const metrics = await built.metricsText();
    expect(metricValue(metrics, 'llm_requests_total', { model, status: 'success' })).toBe(1);
    expect(metricValue(metrics, 'llm_tokens_total', { model, type: 'reasoning' })).toBe(100);
    expect(metricValue(metrics, 'llm_cost_total', { model, prompt_version: '2' })).toBe(0.001306);
    expect(built.lines.filter((line) => line.event === 'llm_call')).toEqual([
      {
        level: 30,
        time: expect.any(Number),
        pid: process.pid,
        trace_id: handle.traceId,
        span_id: handle.spanId,
        event: 'llm_call',
        model,
        response_model: model,
        status: 'success',
        tokens: { input: 1000, cached: 200, output: 300, reasoning: 100, total: 1600 },
        cost_usd: 0.001306,
        latency_ms: 35,
        attempts: 1,
        prompt: { name: 'research-answer', version: 2 },
        msg: 'llm call',
      },
    ]);
    expect(built.langsmith.llmCalls).toEqual([[record, undefined]]);
    expect(built.spans()).toHaveLength(1);
  });

  it('reports a retried attempt as a span event, a counted retry and a warning, in the call’s trace', async () => {
    const built = buildFanout();
    const handle = built.fanout.startLlmCall(llm.request, 'gcp.gemini', server);
    handle.attemptFailed(new LlmError('server_error', 'model server error (503)'), 1);
    handle.finish({ ...llm, attempts: 2, traceId: handle.traceId, spanId: handle.spanId });
    const [span] = built.spans();
    expect(span!.events.map(({ name, attributes }) => [name, attributes])).toEqual([
      ['llm.attempt_failed', { attempt: 1, 'error.type': 'server_error', 'error.message': 'model server error (503)' }],
    ]);
    const metrics = await built.metricsText();
    expect(metricValue(metrics, 'llm_retries_total', { model, error_type: 'server_error' })).toBe(1);
    expect(metricValue(metrics, 'llm_errors_total', { model, error_type: 'server_error' })).toBe(1);
    expect(metricValue(metrics, 'llm_requests_total', { model, status: 'error' })).toBe(1);
    expect(metricValue(metrics, 'llm_requests_total', { model, status: 'success' })).toBe(1);
    expect(built.lines.filter((line) => line.event === 'llm_attempt_failed')).toEqual([
      expect.objectContaining({
        level: 40,
        trace_id: handle.traceId,
        span_id: handle.spanId,
        model,
        attempt: 1,
        error_type: 'server_error',
        error: 'model server error (503)',
        msg: 'llm attempt failed, retrying',
      }),
    ]);
  });

  it('marks a failed call as an error in the span, LangFuse and the log, with what it was billed', async () => {
    const built = buildFanout();
    describeCall(built, { status: 'error', response: undefined, error: { type: 'max_tokens', message: 'model returned no text (finishReason MAX_TOKENS)' } });
    const [span] = built.spans();
    expect(span!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'model returned no text (finishReason MAX_TOKENS)' });
    expect(span!.attributes).toMatchObject({
      'error.type': 'max_tokens',
      'langfuse.observation.level': 'ERROR',
      'langfuse.observation.status_message': 'max_tokens: model returned no text (finishReason MAX_TOKENS)',
      'gen_ai.usage.output_tokens': 400,
      'gen_ai.usage.cost': 0.001306,
    });
    for (const absent of ['langfuse.observation.output', 'gen_ai.response.model', 'gen_ai.response.id', 'gen_ai.response.finish_reasons', 'llm.cancelled']) {
      expect(span!.attributes).not.toHaveProperty(absent);
    }
    const [line] = built.lines.filter((entry) => entry.event === 'llm_call');
    expect(line).toMatchObject({ level: 50, msg: 'llm call failed', status: 'error', error_type: 'max_tokens', error: 'model returned no text (finishReason MAX_TOKENS)', cost_usd: 0.001306 });
    expect(line).not.toHaveProperty('response_model');
    expect(metricValue(await built.metricsText(), 'llm_errors_total', { model, error_type: 'max_tokens' })).toBe(1);
  });

  it('marks a call the caller left as cancelled: a warning in LangFuse, an info line, no span error', () => {
    const built = buildFanout();
    describeCall(built, { status: 'cancelled', response: undefined });
    const [span] = built.spans();
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
    expect(span!.attributes).toMatchObject({
      'llm.cancelled': true,
      'langfuse.observation.level': 'WARNING',
      'langfuse.observation.status_message': 'cancelled: the caller went away',
    });
    expect(span!.attributes).not.toHaveProperty('error.type');
    expect(built.lines.filter((line) => line.event === 'llm_call').map(({ level, msg, status }) => [level, msg, status])).toEqual([[30, 'llm call cancelled', 'cancelled']]);
  });

  it('flags an unpriced call as of unknown cost everywhere, never as free', async () => {
    const built = buildFanout();
    const unpriced = { ...llm.request, model: 'gemini-9' };
    const handle = built.fanout.startLlmCall(unpriced, 'gcp.gemini', server);
    handle.finish({
      ...llm,
      request: unpriced,
      response: { ...llm.response!, responseModel: 'gemini-9-exp' },
      cost: { pricedModel: undefined, costUsd: null, details: null },
      traceId: handle.traceId,
      spanId: handle.spanId,
    });
    const [span] = built.spans();
    expect(span!.attributes).toMatchObject({ 'llm.cost.unknown': true, 'langfuse.observation.model.name': 'gemini-9-exp' });
    expect(span!.attributes).not.toHaveProperty('gen_ai.usage.cost');
    expect(span!.attributes).not.toHaveProperty('langfuse.observation.cost_details');
    expect(metricValue(await built.metricsText(), 'llm_unpriced_calls_total', { model: 'gemini-9' })).toBe(1);
    expect(built.lines.filter((line) => line.level === 40)).toEqual([
      expect.objectContaining({ model: 'gemini-9', response_model: 'gemini-9-exp', msg: 'llm cost unknown: model not in price table' }),
    ]);
    expect(built.lines.find((line) => line.event === 'llm_call')).toMatchObject({ model: 'gemini-9', cost_usd: null });
  });

  it('records when a streamed answer started, in seconds on the span and as LangFuse’s completion start', () => {
    const built = buildFanout();
    describeCall(built, { request: { ...llm.request, stream: true }, timeToFirstChunkMs: 12.6 });
    const [span] = built.spans();
    expect(span!.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.response.time_to_first_chunk': 0.0126,
      'langfuse.observation.completion_start_time': JSON.stringify(new Date(llm.startedAt + 12.6)),
    });
    expect(built.lines.find((line) => line.event === 'llm_call')).toMatchObject({ time_to_first_chunk_ms: 13, latency_ms: 35 });
  });

  it('keeps prompt and answer text out of the span and the log unless content capture is on', () => {
    const off = buildFanout();
    describeCall(off);
    const contentKeys = ['gen_ai.system_instructions', 'gen_ai.input.messages', 'gen_ai.output.messages'];
    for (const key of contentKeys) expect(off.spans()[0]!.attributes).not.toHaveProperty(key);
    expect(off.lines.find((line) => line.event === 'llm_call')).not.toHaveProperty('prompt_text');

    const on = buildFanout({ captureContent: true });
    describeCall(on);
    expect(on.spans()[0]!.attributes).toMatchObject({
      'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: llm.request.system }]),
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: llm.request.prompt }] }]),
      'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: llm.response!.text }] }]),
    });
    expect(on.lines.find((line) => line.event === 'llm_call')).toMatchObject({ prompt_text: llm.request.prompt, answer: llm.response!.text });
    describeCall(on, { status: 'error', response: undefined });
    expect(on.spans()[1]!.attributes).not.toHaveProperty('gen_ai.output.messages');
  });
});

describe('fan-out of an agent run', () => {
  const rootOptions = {
    name: 'orchestrator',
    inputs: { query: 'What is RAG?' },
    metadata: { query_type: 'definition' },
    trace: { name: 'research-query', userId: 'user-1', sessionId: 'session-1', tags: ['research-query'] },
  };

  it('gives the root agent its span with the trace-level fields, and nests agents and calls under it', async () => {
    const built = buildFanout();
    const result = await withoutParent(() =>
      built.fanout.runAgent(rootOptions, async (root) => {
        root.annotate({ query_type: 'definition', documents: 3 });
        await built.fanout.runAgent({ name: 'retriever', kind: 'retriever', inputs: { top_k: 5 } }, async (retriever) => {
          retriever.setOutputs({ documents: [{ id: 'lewis2020rag' }] });
        });
        await built.fanout.runAgent({ name: 'reasoner', inputs: {} }, async (reasoner) => {
          const handle = built.fanout.startLlmCall(llm.request, 'gcp.gemini', server);
          handle.finish({ ...llm, traceId: handle.traceId, spanId: handle.spanId });
          expect(reasoner.traceId).toBe(root.traceId);
        });
        root.setOutputs({ answer: 'RAG retrieves.' });
        return root.traceId;
      }),
    );
    const byName = Object.fromEntries(built.spans().map((span) => [span.name, span]));
    const root = byName['invoke_agent orchestrator']!;
    const retriever = byName['invoke_agent retriever']!;
    const reasoner = byName['invoke_agent reasoner']!;
    const generation = byName[`generate_content ${model}`]!;
    expect(result).toBe(root.spanContext().traceId);
    expect(root.attributes).toEqual({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'orchestrator',
      'gen_ai.conversation.id': 'session-1',
      'langfuse.observation.type': 'agent',
      'langfuse.observation.input': JSON.stringify({ query: 'What is RAG?' }),
      'langfuse.trace.name': 'research-query',
      'user.id': 'user-1',
      'session.id': 'session-1',
      'langfuse.trace.tags': ['research-query'],
      'langfuse.trace.input': JSON.stringify({ query: 'What is RAG?' }),
      query_type: 'definition',
      documents: 3,
      'langfuse.trace.metadata.query_type': 'definition',
      'langfuse.trace.metadata.documents': 3,
      'langfuse.trace.output': JSON.stringify({ answer: 'RAG retrieves.' }),
    });
    expect(retriever.attributes).toEqual({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'retriever',
      'langfuse.observation.type': 'retriever',
      'langfuse.observation.input': JSON.stringify({ top_k: 5 }),
      'langfuse.observation.output': JSON.stringify({ documents: [{ id: 'lewis2020rag' }] }),
    });
    expect(reasoner.attributes['langfuse.observation.type']).toBe('agent');
    expect(reasoner.attributes).not.toHaveProperty('langfuse.observation.output');
    expect(retriever.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    expect(generation.parentSpanContext?.spanId).toBe(reasoner.spanContext().spanId);
    expect(built.langsmith.llmCalls.map(([, parent]) => parent)).toEqual([reasoner.spanContext().spanId]);
    expect(built.langsmith.agents.map(({ name, kind, spanId, parentSpanId, traceId }) => ({ name, kind, spanId, parentSpanId, traceId }))).toEqual([
      { name: 'retriever', kind: 'retriever', spanId: retriever.spanContext().spanId, parentSpanId: root.spanContext().spanId, traceId: result },
      { name: 'reasoner', kind: 'chain', spanId: reasoner.spanContext().spanId, parentSpanId: root.spanContext().spanId, traceId: result },
      { name: 'orchestrator', kind: 'chain', spanId: root.spanContext().spanId, parentSpanId: undefined, traceId: result },
    ]);
    const [, , rootRecord] = built.langsmith.agents;
    expect(rootRecord).toMatchObject({
      inputs: { query: 'What is RAG?' },
      outputs: { answer: 'RAG retrieves.' },
      metadata: { query_type: 'definition', documents: 3 },
      tags: ['research-query'],
      trace: { name: 'research-query', userId: 'user-1', sessionId: 'session-1' },
    });
    expect(rootRecord!.endedAt).toBeGreaterThanOrEqual(rootRecord!.startedAt);
    expect(built.langsmith.agents[0]).toMatchObject({ outputs: { documents: [{ id: 'lewis2020rag' }] }, metadata: {}, tags: undefined, trace: undefined });
    expect(rootOptions.metadata).toEqual({ query_type: 'definition' });
    const metrics = await built.metricsText();
    for (const agent of ['orchestrator', 'retriever', 'reasoner']) expect(metricValue(metrics, 'agent_duration_seconds_count', { agent, status: 'success' })).toBe(1);
  });

  it('leaves out the trace fields a root agent does not have', async () => {
    const built = buildFanout();
    await withoutParent(() => built.fanout.runAgent({ name: 'orchestrator', inputs: {}, trace: { name: 'research-query' } }, async () => undefined));
    const [root] = built.spans();
    for (const key of ['user.id', 'session.id', 'langfuse.trace.tags']) expect(root!.attributes).not.toHaveProperty(key);
    expect(root!.attributes['langfuse.trace.name']).toBe('research-query');
  });

  it('marks a failed agent as an error in its span, LangFuse, Prometheus and LangSmith, and rethrows', async () => {
    const built = buildFanout();
    const failure = await withoutParent(() =>
      built.fanout.runAgent({ name: 'reasoner', inputs: {} }, async () => {
        throw new Error('no passages');
      }),
    ).catch((error: unknown) => error);
    expect(failure).toEqual(new Error('no passages'));
    const [span] = built.spans();
    expect(span!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'no passages' });
    expect(span!.attributes).toMatchObject({ 'error.type': 'Error', 'langfuse.observation.level': 'ERROR', 'langfuse.observation.status_message': 'no passages' });
    expect(built.langsmith.agents).toEqual([expect.objectContaining({ name: 'reasoner', error: 'no passages' })]);
    expect(metricValue(await built.metricsText(), 'agent_duration_seconds_count', { agent: 'reasoner', status: 'error' })).toBe(1);
    const thrown = await built.fanout.runAgent({ name: 'reasoner', inputs: {} }, () => Promise.reject('plain text')).catch((error: unknown) => error);
    expect(thrown).toBe('plain text');
    expect(built.langsmith.agents[1]?.error).toBe('plain text');
    // Something thrown that is not an Error still gets a bounded error type.
    expect(built.spans()[1]!.attributes['error.type']).toBe('_OTHER');
  });

  it('names the model provider on the spans of agents run through withAgentProvider, and not on others', async () => {
    const built = buildFanout();
    const runAgent = withAgentProvider(built.fanout.runAgent, 'gcp.gemini');
    await withoutParent(() => runAgent({ name: 'reasoner', inputs: {} }, async () => undefined));
    await withoutParent(() => built.fanout.runAgent({ name: 'retriever', inputs: {} }, async () => undefined));
    expect(built.spans().map((span) => [span.name, span.attributes['gen_ai.provider.name']])).toEqual([
      ['invoke_agent reasoner', 'gcp.gemini'],
      ['invoke_agent retriever', undefined],
    ]);
  });
});

describe('fan-out of queries, feedback, HTTP and breaker states', () => {
  it('counts the query, its cost with the trace id as exemplar, and the session', async () => {
    const built = buildFanout();
    built.fanout.recordQuery({ status: 'success', queryType: 'definition', costUsd: 0.0013, retrievedDocs: 3, averageRelevance: 0.5, sessionKey: 's1', traceId: 'ab'.repeat(16) });
    const metrics = await built.metricsText();
    expect(metricValue(metrics, 'query_requests_total', { status: 'success' })).toBe(1);
    expect(metricValue(metrics, 'query_cost_usd_sum', { query_type: 'definition' })).toBe(0.0013);
    expect(metricValue(metrics, 'active_sessions')).toBe(1);
    expect((await built.sinks.prometheus.render(true)).body).toMatch(/^query_cost_usd_bucket\{[^}]*le="0.005"[^}]*\} 1 # \{trace_id="(ab){16}"\} 0.0013/m);
  });

  it('sends each vote to LangFuse and LangSmith with its value, logs it, and counts only first votes', async () => {
    const built = buildFanout({ redactPatterns: [/secret/g] });
    const vote = { id: 'vote-1', traceId: 'cd'.repeat(16), helpful: true, comment: 'a secret word', userId: 'user-1', first: true, promptVersion: 2 };
    built.fanout.recordFeedback(vote);
    built.fanout.recordFeedback({ ...vote, helpful: false, comment: undefined, userId: undefined, first: false });
    expect(built.scores).toEqual([
      { id: 'vote-1', traceId: vote.traceId, name: 'user-feedback', value: 1, comment: 'a [REDACTED] word', metadata: { user_id: 'user-1' } },
      { id: 'vote-1', traceId: vote.traceId, name: 'user-feedback', value: 0, comment: undefined, metadata: undefined },
    ]);
    expect(built.langsmith.feedback.map(({ helpful, first }) => [helpful, first])).toEqual([
      [true, true],
      [false, false],
    ]);
    expect(built.lines.filter((line) => line.event === 'feedback').map(({ feedback_trace_id, helpful, first, msg }) => [feedback_trace_id, helpful, first, msg])).toEqual([
      [vote.traceId, true, true, 'feedback recorded'],
      [vote.traceId, false, false, 'feedback recorded'],
    ]);
    const metrics = await built.metricsText();
    expect(metricValue(metrics, 'feedback_total', { helpful: 'true', prompt_version: '2' })).toBe(1);
    // The replacing vote is not counted again.
    expect(() => metricValue(metrics, 'feedback_total', { helpful: 'false' })).toThrow(/no series/);
  });

  it('times HTTP exchanges by route template and sets the breaker gauge', async () => {
    const built = buildFanout();
    built.fanout.recordHttp({ route: '/api/query', method: 'POST', statusCode: 200, durationSeconds: 0.3, traceId: 'ef'.repeat(16) });
    built.fanout.recordBreaker(model, 'half_open');
    const metrics = await built.metricsText();
    expect(metricValue(metrics, 'http_request_duration_seconds_sum', { route: '/api/query', method: 'POST', status_code: '200' })).toBe(0.3);
    expect(metricValue(metrics, 'llm_circuit_breaker_state', { model })).toBe(1);
  });
});

describe('fan-out of prompt, cost-control and batch signals', () => {
  it('zero-initialises the feedback series of a loaded prompt version, and counts each prompt fallback by reason', async () => {
    const built = buildFanout();
    built.fanout.recordPromptLoaded(3);
    built.fanout.recordPromptFallback('timeout');
    const metrics = await built.metricsText();
    expect(metricValue(metrics, 'feedback_total', { helpful: 'true', prompt_version: '3' })).toBe(0);
    expect(metricValue(metrics, 'feedback_total', { helpful: 'false', prompt_version: '3' })).toBe(0);
    expect(metricValue(metrics, 'prompt_fallback_total', { reason: 'timeout' })).toBe(1);
  });

  it('sets the service budget and its spend, and counts cache results, budget refusals and shared-state errors', async () => {
    const built = buildFanout({ logLevel: 'debug' });
    built.fanout.recordBudgetLimit(25);
    built.fanout.serviceSpent(1.5);
    built.fanout.cacheResult('hit');
    built.fanout.budgetRejected('caller');
    const redisDown = new Error('connection refused');
    built.fanout.sharedStateError('cache', 'get', redisDown);
    const metrics = await built.metricsText();
    expect(metricValue(metrics, 'budget_limit_usd', { scope: 'service' })).toBe(25);
    expect(metricValue(metrics, 'budget_spent_usd', { scope: 'service' })).toBe(1.5);
    expect(metricValue(metrics, 'llm_cache_requests_total', { result: 'hit' })).toBe(1);
    expect(metricValue(metrics, 'budget_rejections_total', { scope: 'caller' })).toBe(1);
    expect(metricValue(metrics, 'shared_state_errors_total', { component: 'cache' })).toBe(1);
    expect(built.lines.filter((line) => line.event === 'shared_state_error').map(({ level, component, operation, err, msg }) => [level, component, operation, (err as { message: string }).message, msg])).toEqual([
      [20, 'cache', 'get', 'connection refused', 'Redis operation failed'],
    ]);
    expect(built.errors).toEqual([]);
  });

  it('links a batch item’s trace to the batch span and runs the item outside it', async () => {
    const built = buildFanout();
    const { links, inside } = await withoutParent(() =>
      built.fanout.runAgent({ name: 'batch', inputs: {} }, async () => {
        const item = built.fanout.batchItemTrace();
        return { links: item.links, inside: item.runIn(() => trace.getActiveSpan()) };
      }),
    );
    const [batchSpan] = built.spans();
    expect(links).toEqual([{ context: batchSpan!.spanContext() }]);
    expect(inside).toBeUndefined();
    expect(withoutParent(() => built.fanout.batchItemTrace().links)).toEqual([]);
  });

  it('counts a batch and its items, and gives LangFuse a batch_processed event with its efficiency in the batch’s trace', async () => {
    const built = buildFanout();
    // Two items whose latencies add up to 3 s: 2 / 3 items per second.
    await withoutParent(() =>
      built.fanout.runAgent({ name: 'batch', inputs: {} }, async () =>
        built.fanout.recordBatch({ batchId: 'batch-1', size: 2, succeeded: 1, failed: 1, itemLatenciesMs: [1000, 2000] }),
      ),
    );
    const byName = Object.fromEntries(built.spans().map((span) => [span.name, span]));
    const event = byName['batch_processed']!;
    expect(event.parentSpanContext?.spanId).toBe(byName['invoke_agent batch']!.spanContext().spanId);
    expect(event.attributes).toEqual({
      'langfuse.observation.type': 'event',
      'langfuse.observation.metadata.batch_id': 'batch-1',
      'langfuse.observation.metadata.batch_size': '2',
      'langfuse.observation.metadata.succeeded': '1',
      'langfuse.observation.metadata.failed': '1',
      'langfuse.observation.metadata.efficiency': '0.667',
    });
    const metrics = await built.metricsText();
    expect(metricValue(metrics, 'batch_size_bucket', { le: '1' })).toBe(0);
    expect(metricValue(metrics, 'batch_size_bucket', { le: '2' })).toBe(1);
    expect(metricValue(metrics, 'batch_size_sum')).toBe(2);
    expect(metricValue(metrics, 'batch_items_total', { status: 'ok' })).toBe(1);
    expect(metricValue(metrics, 'batch_items_total', { status: 'error' })).toBe(1);
  });

  it('leaves the efficiency out of the batch_processed event when no item took any time', () => {
    const built = buildFanout();
    withoutParent(() => built.fanout.recordBatch({ batchId: 'batch-2', size: 1, succeeded: 0, failed: 1, itemLatenciesMs: [0] }));
    const [event] = built.spans();
    expect(event!.name).toBe('batch_processed');
    expect(event!.attributes).not.toHaveProperty('langfuse.observation.metadata.efficiency');
    expect(event!.attributes['langfuse.observation.metadata.batch_id']).toBe('batch-2');
  });
});

describe('a sink that throws', () => {
  it('loses its own signal only, counted against it, while the call still gets ids and the other sinks', async () => {
    const built = buildFanout();
    const bug = new Error('span bug');
    built.sinks.spans.startGeneration = () => {
      throw bug;
    };
    const handle = withoutParent(() => built.fanout.startLlmCall(llm.request, 'gcp.gemini', server));
    expect(handle.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(handle.spanId).toMatch(/^[0-9a-f]{16}$/);
    handle.attemptFailed(new LlmError('network', 'reset'), 1);
    handle.finish({ ...llm, traceId: handle.traceId, spanId: handle.spanId });
    expect(built.errors).toEqual([['tracing', bug]]);
    expect(built.spans()).toEqual([]);
    expect(metricValue(await built.metricsText(), 'llm_requests_total', { model, status: 'success' })).toBe(1);
    expect(built.lines.filter((line) => line.event === 'llm_call')).toHaveLength(1);
    expect(built.langsmith.llmCalls).toHaveLength(1);
  });

  it('keeps the parent’s trace id for a call whose span could not start', async () => {
    const built = buildFanout();
    built.sinks.spans.startGeneration = () => {
      throw new Error('span bug');
    };
    await withoutParent(() =>
      built.fanout.runAgent({ name: 'reasoner', inputs: {} }, async (run) => {
        const handle = built.fanout.startLlmCall(llm.request, 'gcp.gemini', server);
        expect(handle.traceId).toBe(run.traceId);
        expect(handle.spanId).not.toBe(trace.getActiveSpan()?.spanContext().spanId);
      }),
    );
  });

  it('counts each throwing sink under its own name', async () => {
    const built = buildFanout();
    const failing = (name: string) => () => {
      throw new Error(`${name} bug`);
    };
    built.sinks.prometheus.llmCall = failing('prometheus');
    built.sinks.logs.llmCall = failing('logs');
    built.sinks.langfuse.describeGeneration = failing('langfuse');
    built.sinks.langsmith!.onLlmCall = failing('langsmith');
    describeCall(built);
    expect(built.errors.map(([sink, error]) => [sink, (error as Error).message])).toEqual([
      ['langfuse', 'langfuse bug'],
      ['prometheus', 'prometheus bug'],
      ['logs', 'logs bug'],
      ['langsmith', 'langsmith bug'],
    ]);
    expect(built.spans()).toHaveLength(1);
  });

  it('still runs an agent whose span could not start, with fresh ids and every other sink', async () => {
    const built = buildFanout();
    built.sinks.spans.startAgent = () => {
      throw new Error('span bug');
    };
    const traceId = await withoutParent(() => built.fanout.runAgent({ name: 'orchestrator', inputs: {} }, async (run) => run.traceId));
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(built.langsmith.agents).toEqual([expect.objectContaining({ name: 'orchestrator', traceId })]);
    expect(built.errors.map(([sink]) => sink)).toEqual(['tracing']);
  });

  it('still runs an agent whose span could not start, and writes nothing to the missing span', async () => {
    const built = buildFanout();
    built.sinks.spans.startAgent = () => {
      throw new Error('span bug');
    };
    await withoutParent(() =>
      built.fanout
        .runAgent({ name: 'orchestrator', inputs: {}, trace: { name: 'q' } }, async (run) => {
          run.annotate({ documents: 1 });
          run.setOutputs({ answer: 'x' });
          throw new Error('agent failed');
        })
        .catch(() => undefined),
    );
    expect(built.errors.map(([sink]) => sink)).toEqual(['tracing']);
    expect(built.langsmith.agents).toEqual([expect.objectContaining({ metadata: { documents: 1 }, outputs: { answer: 'x' }, error: 'agent failed' })]);
  });
});

describe('each write point', () => {
  /** One of everything the fan-out does, so that a throwing method is reached wherever it is called. */
  async function everything(built: ReturnType<typeof buildFanout>) {
    await withoutParent(() =>
      built.fanout.runAgent({ name: 'orchestrator', inputs: {}, trace: { name: 'q' } }, async (run) => {
        run.annotate({ documents: 1 });
        run.setOutputs({ answer: 'x' });
        const handle = built.fanout.startLlmCall(llm.request, 'gcp.gemini', server);
        handle.attemptFailed(new LlmError('network', 'reset'), 1);
        handle.finish({ ...llm, traceId: handle.traceId, spanId: handle.spanId });
      }),
    );
    await built.fanout.runAgent({ name: 'reasoner', inputs: {} }, () => Promise.reject(new Error('failed'))).catch(() => undefined);
    built.fanout.recordBreaker(model, 'open');
    built.fanout.recordQuery({ status: 'success', traceId: 'ab'.repeat(16) });
    built.fanout.recordFeedback({ id: 'v', traceId: 'ab'.repeat(16), helpful: true, first: true, promptVersion: 2 });
    built.fanout.recordHttp({ route: '/api/query', method: 'POST', statusCode: 200, durationSeconds: 0.1 });
    built.fanout.recordPromptLoaded(2);
    built.fanout.recordPromptFallback('not_found');
    built.fanout.recordBudgetLimit(10);
    built.fanout.serviceSpent(1);
    built.fanout.cacheResult('miss');
    built.fanout.budgetRejected('service');
    built.fanout.sharedStateError('budget', 'reserve', new Error('down'));
    built.fanout.recordBatch({ batchId: 'b', size: 1, succeeded: 1, failed: 0, itemLatenciesMs: [5] });
  }

  const writePoints = [
    ['spans', 'startGeneration', 'tracing'],
    ['spans', 'attemptFailed', 'tracing'],
    ['spans', 'describeGeneration', 'tracing'],
    ['spans', 'end', 'tracing'],
    ['spans', 'startAgent', 'tracing'],
    ['spans', 'annotate', 'tracing'],
    ['spans', 'failed', 'tracing'],
    ['langfuse', 'observeGeneration', 'langfuse'],
    ['langfuse', 'describeGeneration', 'langfuse'],
    ['langfuse', 'observeAgent', 'langfuse'],
    ['langfuse', 'annotateTrace', 'langfuse'],
    ['langfuse', 'agentOutputs', 'langfuse'],
    ['langfuse', 'agentFailed', 'langfuse'],
    ['langfuse', 'feedback', 'langfuse'],
    ['prometheus', 'llmAttemptFailed', 'prometheus'],
    ['prometheus', 'llmCall', 'prometheus'],
    ['prometheus', 'agentEnded', 'prometheus'],
    ['prometheus', 'breaker', 'prometheus'],
    ['prometheus', 'query', 'prometheus'],
    ['prometheus', 'feedback', 'prometheus'],
    ['prometheus', 'http', 'prometheus'],
    ['prometheus', 'promptLoaded', 'prometheus'],
    ['prometheus', 'promptFallback', 'prometheus'],
    ['prometheus', 'serviceBudget', 'prometheus'],
    ['prometheus', 'cacheResult', 'prometheus'],
    ['prometheus', 'budgetRejected', 'prometheus'],
    ['prometheus', 'sharedStateError', 'prometheus'],
    ['prometheus', 'batch', 'prometheus'],
    ['langfuse', 'batchProcessed', 'langfuse'],
    ['logs', 'sharedStateError', 'logs'],
    ['logs', 'llmAttemptFailed', 'logs'],
    ['logs', 'llmCall', 'logs'],
    ['logs', 'feedback', 'logs'],
    ['langsmith', 'onLlmCall', 'langsmith'],
    ['langsmith', 'onAgentEnd', 'langsmith'],
    ['langsmith', 'onFeedback', 'langsmith'],
  ] as const;

  it.each(writePoints)('counts a throwing %s.%s against %s', async (sinkKey, method, sinkName) => {
    const built = buildFanout();
    const bug = new Error(`${sinkKey}.${method} bug`);
    (built.sinks[sinkKey] as unknown as Record<string, unknown>)[method] = () => {
      throw bug;
    };
    await everything(built);
    expect(built.errors.length).toBeGreaterThan(0);
    expect(built.errors.filter(([, error]) => error === bug).map(([sink]) => sink)).toEqual(built.errors.map(() => sinkName));
  });
});

describe('agent timing and records', () => {
  it('observes each agent’s run time in seconds', async () => {
    const built = buildFanout();
    let now = 10_000;
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => now);
    try {
      await withoutParent(() =>
        built.fanout.runAgent({ name: 'retriever', kind: 'retriever', inputs: {} }, async () => {
          now = 10_250;
        }),
      );
    } finally {
      clock.mockRestore();
    }
    expect(metricValue(await built.metricsText(), 'agent_duration_seconds_sum', { agent: 'retriever', status: 'success' })).toBe(0.25);
  });

  it('gives LangSmith the metadata the agent started with, as a copy', async () => {
    const built = buildFanout();
    const metadata = { model: 'gemini-2.5-flash' };
    await withoutParent(() =>
      built.fanout.runAgent({ name: 'reasoner', inputs: {}, metadata }, async (run) => {
        expect(run.traceId).toMatch(/^[0-9a-f]{32}$/);
      }),
    );
    expect(built.langsmith.agents[0]?.metadata).toEqual({ model: 'gemini-2.5-flash' });
    expect(built.langsmith.agents[0]?.metadata).not.toBe(metadata);
    await built.fanout.runAgent({ name: 'reasoner', inputs: {} }, async (run) => run.annotate({ step: 2 }));
    expect(built.langsmith.agents[1]?.metadata).toEqual({ step: 2 });
  });

  it('writes trace metadata for the root agent only', async () => {
    const built = buildFanout();
    await withoutParent(() => built.fanout.runAgent({ name: 'reasoner', inputs: {} }, async (run) => run.annotate({ step: 2 })));
    const [span] = built.spans();
    expect(span!.attributes.step).toBe(2);
    expect(Object.keys(span!.attributes).filter((key) => key.startsWith('langfuse.trace.'))).toEqual([]);
  });
});
