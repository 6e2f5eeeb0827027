import { setTimeout as sleep } from 'node:timers/promises';
import { context } from '@opentelemetry/api';
import CircuitBreaker from 'opossum';
import pRetry from 'p-retry';
import type { Config } from '../config/index.js';
import type { LlmCallTelemetry } from '../telemetry/llm-call.js';
import type { BudgetReservation } from './budget/budget.js';
import type { CachedAnswer } from './cache/store.js';
import { withCostControls, type CostControls } from './cost-controls.js';
import { LlmError } from './errors.js';
import { priceCall, type PricedCall } from './pricing.js';
import type { CacheInfo, LlmCallRecord, LlmProvider, LlmRequest, ProviderResponse } from './types.js';
import { emptyUsage, type TokenUsage } from './usage.js';

export interface LlmResult {
  text: string;
  model: string;
  /** Billed to this request: all zeros on a cache hit. */
  usage: TokenUsage;
  cost: PricedCall;
  latencyMs: number;
  traceId: string;
  finishReason: string;
  responseModel?: string;
  /** What the model call that produced the text was billed for (the original call's, on a hit). */
  billedUsage: TokenUsage;
  cache: CacheInfo;
}

type BreakerState = 'closed' | 'half_open' | 'open';

interface ClientOptions {
  provider: LlmProvider;
  providerName: string;
  telemetry: LlmCallTelemetry;
  settings: Config['llm'];
  onBreakerState?: (model: string, state: BreakerState) => void;
  costControls?: CostControls;
}

/**
 * The only way the service calls a model. One call = one span covering every attempt; retries honour
 * Gemini's RetryInfo; a per-model circuit breaker fails fast while the model keeps failing. Whatever
 * happens, exactly one call description reaches the telemetry layer.
 */
export function createLlmClient({ provider, providerName, telemetry, settings, onBreakerState, costControls = {} }: ClientOptions) {
  const breakers = new Map<string, CircuitBreaker<[LlmRequest], ProviderResponse>>();
  const breakerFor = (model: string) => {
    let breaker = breakers.get(model);
    if (!breaker) {
      breaker = new CircuitBreaker((request: LlmRequest) => attemptOnce(provider, request, settings.timeoutMs), {
        timeout: false,
        resetTimeout: settings.circuitResetMs,
        rollingCountTimeout: 30_000,
        volumeThreshold: settings.circuitFailures,
        errorThresholdPercentage: 50,
        // A blocked prompt or a bad request says nothing about the model's health.
        errorFilter: (error: unknown) => error instanceof LlmError && !error.retryable,
      });
      breaker.on('open', () => onBreakerState?.(model, 'open'));
      breaker.on('halfOpen', () => onBreakerState?.(model, 'half_open'));
      breaker.on('close', () => onBreakerState?.(model, 'closed'));
      onBreakerState?.(model, 'closed');
      breakers.set(model, breaker);
    }
    return breaker;
  };

  async function callModel(request: LlmRequest, reservation: BudgetReservation, cacheOn: boolean): Promise<LlmResult> {
    const miss: CacheInfo | undefined = cacheOn ? { hit: false } : undefined;
    const call = telemetry.start(request, provider.system, provider.serverAddress);
    const startedAt = Date.now();
    const started = performance.now();
    let attempts = 0;
    const finish = (record: Omit<LlmCallRecord, 'request' | 'provider' | 'startedAt' | 'latencyMs' | 'attempts' | 'traceId' | 'spanId'>) => {
      const full: LlmCallRecord = {
        ...record,
        request,
        provider: providerName,
        startedAt,
        latencyMs: performance.now() - started,
        attempts,
        traceId: call.traceId,
        spanId: call.spanId,
        ...(miss ? { cache: miss } : {}),
      };
      context.with(call.context, () => call.finish(full));
      return full;
    };
    try {
      const response = await context.with(call.context, () =>
        pRetry(
          async () => {
            attempts += 1;
            try {
              return await breakerFor(request.model).fire(request);
            } catch (error) {
              throw asLlmError(error);
            }
          },
          {
            retries: settings.maxRetries,
            factor: 2,
            minTimeout: settings.retryBaseMs,
            maxTimeout: settings.retryMaxDelayMs,
            randomize: true,
            shouldRetry: ({ error }) => error instanceof LlmError && error.retryable,
            onFailedAttempt: async ({ error, retriesLeft }) => {
              const llmError = asLlmError(error);
              const willRetry = retriesLeft > 0 && llmError.retryable;
              if (!willRetry) return;
              call.attemptFailed(llmError, attempts);
              // Gemini says how long to wait on a 429 (RetryInfo), in the body rather than a header.
              if (llmError.retryAfterMs) await sleep(Math.min(llmError.retryAfterMs, settings.retryMaxDelayMs));
            },
          },
        ),
      );
      const usage = response.usage;
      const cost = priceCall(usage, [response.responseModel, request.model]);
      const record = finish({ status: 'success', response, usage, cost });
      await reservation.settle(cost.costUsd ?? 0);
      return {
        text: response.text,
        model: cost.pricedModel ?? response.responseModel ?? request.model,
        usage,
        cost,
        latencyMs: record.latencyMs,
        traceId: call.traceId,
        finishReason: response.finishReason,
        responseModel: response.responseModel,
        billedUsage: usage,
        cache: miss ?? { hit: false },
      };
    } catch (error) {
      const llmError = asLlmError(error);
      const usage = llmError.usage ?? emptyUsage();
      const cost = priceCall(usage, [llmError.responseModel, request.model]);
      finish({ status: 'error', usage, cost, error: { type: llmError.type, message: llmError.message } });
      // A failed call frees its reservation, unless tokens were billed anyway (e.g. thinking cut off by MAX_TOKENS).
      await (cost.costUsd ? reservation.settle(cost.costUsd) : reservation.release());
      throw llmError;
    }
  }

  /** A cache hit is still one described call: zero usage and cost, with what the original call cost. */
  function describeHit(request: LlmRequest, answer: CachedAnswer): LlmResult {
    const call = telemetry.start(request, provider.system, provider.serverAddress);
    const saved = priceCall(answer.usage, [answer.responseModel, answer.requestedModel]);
    const cost: PricedCall = {
      pricedModel: saved.pricedModel,
      costUsd: saved.pricedModel ? 0 : null,
      details: saved.pricedModel ? { input: 0, input_cached_tokens: 0, output: 0, total: 0 } : null,
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
    context.with(call.context, () => call.finish(record));
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

  const generate = withCostControls(providerName, costControls, callModel, describeHit);
  return { generate, providerName };
}

export type LlmClient = ReturnType<typeof createLlmClient>;

async function attemptOnce(provider: LlmProvider, request: LlmRequest, timeoutMs: number): Promise<ProviderResponse> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    return await provider.generate(request, controller.signal);
  } finally {
    clearTimeout(timer);
  }
}

function asLlmError(error: unknown): LlmError {
  if (error instanceof LlmError) return error;
  if ((error as { code?: string })?.code === 'EOPENBREAKER') {
    return new LlmError('circuit_open', 'model circuit breaker is open after repeated failures', { retryable: false, cause: error });
  }
  return new LlmError('network', error instanceof Error ? error.message : String(error), { cause: error });
}
