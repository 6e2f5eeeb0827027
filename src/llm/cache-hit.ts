import type { CachedAnswer } from './cache/store.js';
import type { LlmResult } from './client.js';
import { priceCall, type PricedCall } from './pricing.js';
import type { LlmTelemetryPort } from './telemetry-port.js';
import type { CacheInfo, LlmCallRecord, LlmProvider, LlmRequest, ProviderResponse } from './types.js';
import { emptyUsage } from './usage.js';

interface HitContext {
  telemetry: LlmTelemetryPort;
  provider: LlmProvider;
  providerName: string;
}

/**
 * A cache hit is still one described call: zero usage and cost (nothing was billed), with what the
 * original call cost, priced by the same code, and the trace of the call that paid for it.
 */
export function describeCacheHit({ telemetry, provider, providerName }: HitContext, request: LlmRequest, answer: CachedAnswer): LlmResult {
  const call = telemetry.startLlmCall(request, provider.system, provider.serverAddress);
  // Priced as the original call was, at its own time (prices are dated).
  const saved = priceCall(answer.usage, [answer.responseModel, answer.requestedModel], { at: answer.storedAt });
  const cost: PricedCall = {
    pricedModel: saved.pricedModel,
    costUsd: saved.pricedModel ? 0 : null,
    details: saved.pricedModel ? { input: 0, input_cached_tokens: 0, output: 0, output_reasoning_tokens: 0, total: 0 } : null,
  };
  const cache: CacheInfo = {
    hit: true,
    ageSeconds: Math.max(0, Math.floor((Date.now() - answer.storedAt) / 1000)),
    savedUsd: saved.costUsd,
    originTraceId: answer.traceId,
  };
  const usage = emptyUsage();
  const response: ProviderResponse = { text: answer.text, finishReason: answer.finishReason, usage, responseModel: answer.responseModel };
  const record: LlmCallRecord = {
    request,
    provider: providerName,
    status: 'success',
    response,
    usage,
    cost,
    startedAt: Date.now(),
    latencyMs: 0,
    attempts: 0,
    traceId: call.traceId,
    spanId: call.spanId,
    cache,
  };
  call.finish(record);
  return {
    text: answer.text,
    model: saved.pricedModel ?? answer.responseModel ?? request.model,
    usage,
    cost,
    latencyMs: 0,
    traceId: call.traceId,
    finishReason: answer.finishReason,
    responseModel: answer.responseModel,
    billedUsage: answer.usage,
    cache,
  };
}
