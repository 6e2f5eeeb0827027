import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { describeCacheHit } from '../../src/llm/cache-hit.js';
import type { CachedAnswer } from '../../src/llm/cache/store.js';
import type { LlmTelemetryPort } from '../../src/llm/telemetry-port.js';
import type { LlmCallRecord, LlmProvider } from '../../src/llm/types.js';
import { llmRequest } from '../helpers/llm-request.js';

const now = Date.UTC(2026, 10, 27, 10);
const request = llmRequest('gemini-2.5-flash');
const zeros = { input: 0, cached: 0, output: 0, reasoning: 0, total: 0 };
const billed = { input: 1000, cached: 0, output: 100, reasoning: 0, total: 1100 };

function answer(overrides: Partial<CachedAnswer> = {}): CachedAnswer {
  return {
    text: 'cached text',
    finishReason: 'STOP',
    usage: billed,
    requestedModel: 'gemini-2.5-flash',
    responseModel: 'gemini-2.5-flash',
    traceId: 'b'.repeat(32),
    storedAt: now - 90_500,
    ...overrides,
  };
}

function telemetry() {
  const records: LlmCallRecord[] = [];
  const started: unknown[][] = [];
  const port: LlmTelemetryPort = {
    startLlmCall: (...args) => {
      started.push(args);
      return { traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), runInContext: (work) => work(), attemptFailed: () => undefined, finish: (record) => records.push(record) };
    },
    recordBreaker: () => undefined,
  };
  return { port, records, started };
}

const provider = { system: 'gcp.gemini', serverAddress: { host: 'localhost', port: 9 } } as unknown as LlmProvider;

describe('describeCacheHit', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(now);
  });
  afterEach(() => vi.useRealTimers());

  it('describes a priced hit once: zero usage and cost, the original price saved, the origin trace', () => {
    const { port, records, started } = telemetry();
    const result = describeCacheHit({ telemetry: port, provider, providerName: 'gemini' }, request, answer());
    const cache = { hit: true, ageSeconds: 90, savedUsd: 0.00055, originTraceId: 'b'.repeat(32) };
    const cost = {
      pricedModel: 'gemini-2.5-flash',
      costUsd: 0,
      details: { input: 0, input_cached_tokens: 0, output: 0, output_reasoning_tokens: 0, total: 0 },
    };
    expect(started).toEqual([[request, 'gcp.gemini', { host: 'localhost', port: 9 }]]);
    expect(records).toEqual([
      {
        request,
        provider: 'gemini',
        status: 'success',
        response: { text: 'cached text', finishReason: 'STOP', usage: zeros, responseModel: 'gemini-2.5-flash' },
        usage: zeros,
        cost,
        startedAt: now,
        latencyMs: 0,
        attempts: 0,
        traceId: 'c'.repeat(32),
        spanId: 'd'.repeat(16),
        cache,
      },
    ]);
    expect(result).toEqual({
      text: 'cached text',
      model: 'gemini-2.5-flash',
      usage: zeros,
      cost,
      latencyMs: 0,
      traceId: 'c'.repeat(32),
      finishReason: 'STOP',
      responseModel: 'gemini-2.5-flash',
      billedUsage: billed,
      cache,
    });
  });

  it('prices by the requested model when the response model is unknown', () => {
    const { port } = telemetry();
    const result = describeCacheHit({ telemetry: port, provider, providerName: 'gemini' }, request, answer({ responseModel: 'unknown-model' }));
    expect(result.model).toBe('gemini-2.5-flash');
    expect(result.cache).toEqual({ hit: true, ageSeconds: 90, savedUsd: 0.00055, originTraceId: 'b'.repeat(32) });
  });

  it('leaves an unpriced hit without cost, named by its response model, and never a negative age', () => {
    const { port, records } = telemetry();
    const unpriced = answer({ responseModel: 'mystery-1', requestedModel: 'mystery-0', storedAt: now + 5_000 });
    const result = describeCacheHit({ telemetry: port, provider, providerName: 'offline' }, { ...request, model: 'mystery-0' }, unpriced);
    expect(result.cost).toEqual({ pricedModel: undefined, costUsd: null, details: null });
    expect(result.model).toBe('mystery-1');
    expect(result.cache).toEqual({ hit: true, ageSeconds: 0, savedUsd: null, originTraceId: 'b'.repeat(32) });
    expect(records[0]?.provider).toBe('offline');
  });

  it('prices the saving at the time the answer was stored (prices are dated)', () => {
    // Stored at 23:59:30 on the last day of gemini-3.6-flash's first price, looked up 60 s later under the next.
    vi.setSystemTime(Date.UTC(2027, 0, 1, 0, 0, 30));
    const { port } = telemetry();
    const stored = answer({ responseModel: 'gemini-3.6-flash', requestedModel: 'gemini-3.6-flash', storedAt: Date.UTC(2026, 11, 31, 23, 59, 30) });
    const result = describeCacheHit({ telemetry: port, provider, providerName: 'gemini' }, { ...request, model: 'gemini-3.6-flash' }, stored);
    expect(result.cache).toEqual({ hit: true, ageSeconds: 60, savedUsd: 0.001125, originTraceId: 'b'.repeat(32) });
  });

  it('falls back to the requested model name when the answer names none', () => {
    const { port } = telemetry();
    const unnamed = answer({ responseModel: undefined, requestedModel: 'mystery-0' });
    expect(describeCacheHit({ telemetry: port, provider, providerName: 'offline' }, { ...request, model: 'mystery-0' }, unnamed).model).toBe('mystery-0');
  });
});
