import type { Attributes } from '@opentelemetry/api';
import type { LlmCallRecord } from '../../llm/types.js';
import type { Metrics } from '../sinks/prometheus-registry.js';

/** Span (and LangFuse generation) attributes of a call the cache was consulted for; none when it is off. */
export function cacheAttributes({ cache }: LlmCallRecord): Attributes {
  if (!cache) return {};
  if (!cache.hit) return { 'llm.cache.hit': false };
  return {
    'llm.cache.hit': true,
    'llm.cache.age_s': cache.ageSeconds,
    'llm.cache.origin_trace_id': cache.originTraceId,
    ...(cache.savedUsd !== null ? { 'llm.cache.saved_usd': cache.savedUsd } : {}),
  };
}

/** Metadata for LangFuse and LangSmith: `cache_hit` plus where the answer came from. */
export function cacheMetadata({ cache }: LlmCallRecord): Record<string, unknown> {
  if (!cache) return {};
  return cache.hit
    ? { cache_hit: true, cache_age_s: cache.ageSeconds, cache_saved_usd: cache.savedUsd, cache_origin_trace_id: cache.originTraceId }
    : { cache_hit: false };
}

/** The log line's `cache` field: "hit" or "miss", absent when the cache is off. */
export const cacheLogField = ({ cache }: LlmCallRecord) => (cache ? { cache: cache.hit ? 'hit' : 'miss' } : {});

/**
 * A hit was not billed: it adds nothing to the request, token, cost or latency series, only to the
 * dollars saved. Returns true when the record was a hit, so the caller skips the billed-call series.
 */
export function recordCacheHit(metrics: Metrics, record: LlmCallRecord, model: string): boolean {
  if (!record.cache?.hit) return false;
  if (record.cache.savedUsd !== null) metrics.llmCostSaved.inc({ model }, record.cache.savedUsd);
  return true;
}
