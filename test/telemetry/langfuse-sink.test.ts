import { trace, TraceFlags } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import type { Score, ScoreSink } from '../../src/telemetry/sinks/langfuse-scores.js';
import { createLangfuseSink } from '../../src/telemetry/sinks/langfuse.js';
import { createContentJson } from '../../src/telemetry/support/content-json.js';
import { createRedactor } from '../../src/telemetry/support/redact.js';
import { buildFanout } from './fanout-helpers.js';
import { traceFixture } from './langsmith-fixtures.js';

// The LangFuse sink on its own: nothing is built for a span that does not record, no observation means no
// write, and without LangFuse credentials (no score sink) feedback and flush do nothing.
const { llm } = traceFixture();
const unsampled = trace.wrapSpanContext({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: TraceFlags.NONE });
const noMasking = createRedactor([]);

describe('LangFuse sink', () => {
  it('builds no observation for a span that does not record, and writes nothing without one', () => {
    const sink = createLangfuseSink(undefined, noMasking, createContentJson(false));
    expect(sink.observeGeneration(unsampled)).toBeUndefined();
    expect(sink.observeAgent(unsampled, { name: 'orchestrator', inputs: {}, trace: { name: 'q' } })).toBeUndefined();
    expect(() => sink.describeGeneration(undefined, llm)).not.toThrow();
    expect(() => sink.annotateTrace(undefined, { name: 'orchestrator', inputs: {}, trace: { name: 'q' } }, { a: 1 })).not.toThrow();
    expect(() => sink.agentOutputs(undefined, { name: 'retriever', kind: 'retriever', inputs: {} }, {})).not.toThrow();
    expect(() => sink.agentFailed(undefined, 'failed')).not.toThrow();
  });

  it('drops feedback and flushes nothing when LangFuse is off', () => {
    const sink = createLangfuseSink(undefined, noMasking, createContentJson(false));
    expect(() => sink.feedback({ id: 'v', traceId: 't', helpful: true, first: true, promptVersion: 2 })).not.toThrow();
    expect(sink.flush()).toBeUndefined();
  });

  it('waits for the score sink on flush', async () => {
    let release!: () => void;
    const flushed = new Promise<void>((resolve) => {
      release = resolve;
    });
    const scores = { record: (_score: Score) => undefined, flush: () => flushed } as ScoreSink;
    let done = false;
    const flushing = createLangfuseSink(scores, noMasking, createContentJson(false))
      .flush()
      ?.then(() => {
        done = true;
      });
    await Promise.resolve();
    expect(done).toBe(false);
    release();
    await flushing;
    expect(done).toBe(true);
  });

  it('names the requested model for an unpriced call that got no answer', () => {
    const built = buildFanout();
    const handle = built.fanout.startLlmCall({ ...llm.request, model: 'gemini-9' }, 'gcp.gemini');
    handle.finish({
      ...llm,
      request: { ...llm.request, model: 'gemini-9' },
      status: 'error',
      response: undefined,
      cost: { pricedModel: undefined, costUsd: null, details: null },
      error: { type: 'client_error', message: 'model rejected the request (404)' },
      traceId: handle.traceId,
      spanId: handle.spanId,
    });
    expect(built.spans()[0]!.attributes['langfuse.observation.model.name']).toBe('gemini-9');
    expect(built.errors).toEqual([]);
  });

  it('writes metadata as the LangFuse SDK flattens it: strings as they are, other values as JSON, no entry without a value', () => {
    const built = buildFanout();
    const handle = built.fanout.startLlmCall(llm.request, 'gcp.gemini');
    handle.finish({
      ...llm,
      provider: '',
      cache: { hit: true, ageSeconds: 12, savedUsd: null, originTraceId: 'c'.repeat(32) },
      traceId: handle.traceId,
      spanId: handle.spanId,
    });
    const metadata = Object.entries(built.spans()[0]!.attributes).filter(([key]) => key.startsWith('langfuse.observation.metadata.'));
    expect(Object.fromEntries(metadata)).toEqual({
      'langfuse.observation.metadata.attempts': '1',
      'langfuse.observation.metadata.prompt_is_fallback': 'false',
      'langfuse.observation.metadata.cache_hit': 'true',
      'langfuse.observation.metadata.cache_age_s': '12',
      'langfuse.observation.metadata.cache_origin_trace_id': 'c'.repeat(32),
    });
  });
});
