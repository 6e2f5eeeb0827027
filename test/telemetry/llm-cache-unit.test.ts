import { describe, expect, it } from 'vitest';
import type { CacheInfo, LlmCallRecord } from '../../src/llm/types.js';
import type { Metrics } from '../../src/telemetry/sinks/prometheus-registry.js';
import { cacheAttributes, cacheLogField, cacheMetadata, recordCacheHit } from '../../src/telemetry/support/llm-cache.js';

const withCache = (cache?: CacheInfo) => ({ cache }) as LlmCallRecord;
const hit = (savedUsd: number | null): CacheInfo => ({ hit: true, ageSeconds: 42, savedUsd, originTraceId: 'a'.repeat(32) });

function savedCounter() {
  const calls: Array<[Record<string, string>, number]> = [];
  const metrics = { llmCostSaved: { inc: (labels: Record<string, string>, value: number) => calls.push([labels, value]) } };
  return { metrics: metrics as unknown as Metrics, calls };
}

describe('cacheAttributes', () => {
  it('is empty with the cache off, a false hit on a miss', () => {
    expect(cacheAttributes(withCache())).toEqual({});
    expect(cacheAttributes(withCache({ hit: false }))).toEqual({ 'llm.cache.hit': false });
  });

  it('describes a priced hit, and leaves the saving out when unpriced', () => {
    expect(cacheAttributes(withCache(hit(0.0025)))).toEqual({
      'llm.cache.hit': true,
      'llm.cache.age_s': 42,
      'llm.cache.origin_trace_id': 'a'.repeat(32),
      'llm.cache.saved_usd': 0.0025,
    });
    expect(cacheAttributes(withCache(hit(null)))).toEqual({
      'llm.cache.hit': true,
      'llm.cache.age_s': 42,
      'llm.cache.origin_trace_id': 'a'.repeat(32),
    });
  });
});

describe('cacheMetadata', () => {
  it('is empty with the cache off, cache_hit false on a miss, the origin on a hit', () => {
    expect(cacheMetadata(withCache())).toEqual({});
    expect(cacheMetadata(withCache({ hit: false }))).toEqual({ cache_hit: false });
    expect(cacheMetadata(withCache(hit(null)))).toEqual({
      cache_hit: true,
      cache_age_s: 42,
      cache_saved_usd: null,
      cache_origin_trace_id: 'a'.repeat(32),
    });
  });
});

describe('cacheLogField', () => {
  it('is hit, miss, or absent', () => {
    expect(cacheLogField(withCache(hit(1)))).toEqual({ cache: 'hit' });
    expect(cacheLogField(withCache({ hit: false }))).toEqual({ cache: 'miss' });
    expect(cacheLogField(withCache())).toEqual({});
  });
});

describe('recordCacheHit', () => {
  it('counts the saved dollars of a priced hit under its model and reports the hit', () => {
    const { metrics, calls } = savedCounter();
    expect(recordCacheHit(metrics, withCache(hit(0.5)), 'gemini-2.5-flash')).toBe(true);
    expect(calls).toEqual([[{ model: 'gemini-2.5-flash' }, 0.5]]);
  });

  it('reports an unpriced hit without counting a saving', () => {
    const { metrics, calls } = savedCounter();
    expect(recordCacheHit(metrics, withCache(hit(null)), 'm')).toBe(true);
    expect(calls).toEqual([]);
  });

  it('leaves misses and uncached calls to the billed series', () => {
    const { metrics, calls } = savedCounter();
    expect(recordCacheHit(metrics, withCache({ hit: false }), 'm')).toBe(false);
    expect(recordCacheHit(metrics, withCache(), 'm')).toBe(false);
    expect(calls).toEqual([]);
  });
});
