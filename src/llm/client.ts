import { setTimeout as sleep } from 'node:timers/promises';
import CircuitBreaker from 'opossum';
import pRetry from 'p-retry';
import type { Config } from '../config/index.js';
import type { BudgetReservation } from './budget/budget.js';
import { describeCacheHit } from './cache-hit.js';
import { withCostControls, type CostControls } from './cost-controls.js';
import { LlmError } from './errors.js';
import { priceCall, type PricedCall } from './pricing.js';
import type { LlmCallHandle, LlmTelemetryPort } from './telemetry-port.js';
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

interface ClientOptions {
  provider: LlmProvider;
  /** The configured provider (`gemini` or `offline`), as the call descriptions name it. */
  providerName: string;
  telemetry: LlmTelemetryPort;
  settings: Config['llm'];
  /** Aborted when the server stops waiting for model calls at shutdown; calls then fail as `shutting_down`. */
  stopSignal?: AbortSignal;
  /** Response cache and spend budget in front of every model call; none by default. */
  costControls?: CostControls;
}

type CallOutcome = Pick<LlmCallRecord, 'status' | 'response' | 'usage' | 'cost' | 'error'>;

/**
 * The only way the service calls a model. One call = one span covering every attempt; retries honour
 * Gemini's RetryInfo; a per-model circuit breaker fails fast while the model keeps failing. Whatever
 * happens, exactly one call description reaches the telemetry layer.
 */
export function createLlmClient({ provider, providerName, telemetry, settings, stopSignal, costControls = {} }: ClientOptions) {
  const breakers = new Map<string, CircuitBreaker<[LlmRequest, AbortSignal], ProviderResponse>>();
  const breakerFor = (model: string) => {
    let breaker = breakers.get(model);
    if (!breaker) {
      breaker = new CircuitBreaker((request: LlmRequest, signal: AbortSignal) => attemptOnce(provider, request, settings.timeoutMs, signal), {
        timeout: false,
        resetTimeout: settings.circuitResetMs,
        rollingCountTimeout: 30_000,
        volumeThreshold: settings.circuitFailures,
        errorThresholdPercentage: 50,
        // A blocked prompt or a bad request says nothing about the model's health.
        errorFilter: (error: unknown) => error instanceof LlmError && !error.retryable,
      });
      breaker.on('open', () => telemetry.recordBreaker(model, 'open'));
      breaker.on('halfOpen', () => telemetry.recordBreaker(model, 'half_open'));
      breaker.on('close', () => telemetry.recordBreaker(model, 'closed'));
      telemetry.recordBreaker(model, 'closed');
      breakers.set(model, breaker);
    }
    return breaker;
  };

  async function callModel(request: LlmRequest, reservation: BudgetReservation, cacheOn: boolean): Promise<LlmResult> {
    const cache: CacheInfo | undefined = cacheOn ? { hit: false } : undefined;
    const call = telemetry.startLlmCall(request, provider.system, provider.serverAddress);
    const startedAt = Date.now();
    const started = performance.now();
    const attempts = { count: 0 };
    // One budget for every attempt and backoff, so that a call always ends within LLM_DEADLINE_MS.
    const deadline = AbortSignal.timeout(settings.deadlineMs);
    const signal = stopSignal ? AbortSignal.any([deadline, stopSignal]) : deadline;
    // The model call alone is inside the try: describing the outcome happens once, after it, so that
    // nothing the telemetry layer does can turn a success into a failure or describe a call twice.
    let outcome: CallOutcome;
    let failure: LlmError | undefined;
    try {
      const response = await call.runInContext(() => callWithRetries(request, call, attempts, signal));
      outcome = { status: 'success', response, usage: response.usage, cost: priceCall(response.usage, [response.responseModel, request.model]) };
    } catch (error) {
      failure = stopSignal?.aborted ? shuttingDown(error) : deadline.aborted ? deadlineExceeded(error, settings.deadlineMs) : asLlmError(error);
      const usage = failure.usage ?? emptyUsage();
      outcome = {
        status: 'error',
        usage,
        cost: priceCall(usage, [failure.responseModel, request.model]),
        error: { type: failure.type, message: failure.message },
      };
    }
    const latencyMs = performance.now() - started;
    call.finish({
      ...outcome,
      request,
      provider: providerName,
      startedAt,
      latencyMs,
      attempts: attempts.count,
      traceId: call.traceId,
      spanId: call.spanId,
      ...(cache ? { cache } : {}),
    });
    // A failed call frees its reservation, unless tokens were billed anyway (e.g. thinking cut off by MAX_TOKENS).
    await (outcome.cost.costUsd || !failure ? reservation.settle(outcome.cost.costUsd ?? 0) : reservation.release());
    if (failure) throw failure;
    const response = outcome.response as ProviderResponse;
    return {
      text: response.text,
      model: outcome.cost.pricedModel ?? response.responseModel ?? request.model,
      usage: outcome.usage,
      cost: outcome.cost,
      latencyMs,
      traceId: call.traceId,
      finishReason: response.finishReason,
      responseModel: response.responseModel,
      billedUsage: outcome.usage,
      cache: cache ?? { hit: false },
    };
  }

  function callWithRetries(request: LlmRequest, call: LlmCallHandle, attempts: { count: number }, signal: AbortSignal): Promise<ProviderResponse> {
    return pRetry(
      async () => {
        attempts.count += 1;
        try {
          return await breakerFor(request.model).fire(request, signal);
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
        signal,
        shouldRetry: ({ error }) => error instanceof LlmError && error.retryable,
        onFailedAttempt: async ({ error, retriesLeft }) => {
          const llmError = asLlmError(error);
          const willRetry = retriesLeft > 0 && llmError.retryable;
          if (!willRetry) return;
          call.attemptFailed(llmError, attempts.count);
          // Gemini says how long to wait on a 429 (RetryInfo), in the body rather than a header.
          if (llmError.retryAfterMs) await sleep(Math.min(llmError.retryAfterMs, settings.retryMaxDelayMs), undefined, { signal });
        },
      },
    );
  }

  const generate = withCostControls(providerName, costControls, callModel, (request, answer) =>
    describeCacheHit({ telemetry, provider, providerName }, request, answer),
  );
  return { generate, providerName };
}

export type LlmClient = ReturnType<typeof createLlmClient>;

async function attemptOnce(provider: LlmProvider, request: LlmRequest, timeoutMs: number, callSignal: AbortSignal): Promise<ProviderResponse> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    return await provider.generate(request, AbortSignal.any([controller.signal, callSignal]));
  } finally {
    clearTimeout(timer);
  }
}

const shuttingDown = (cause: unknown) =>
  new LlmError('shutting_down', 'the server is shutting down; retry the request', { retryable: false, cause });

const deadlineExceeded = (cause: unknown, deadlineMs: number) =>
  cause instanceof LlmError && cause.type !== 'timeout'
    ? cause
    : new LlmError('timeout', `no model answer within the ${deadlineMs} ms deadline (LLM_DEADLINE_MS)`, { retryable: false, cause });

function asLlmError(error: unknown): LlmError {
  if (error instanceof LlmError) return error;
  if ((error as { code?: string })?.code === 'EOPENBREAKER') {
    return new LlmError('circuit_open', 'model circuit breaker is open after repeated failures', { retryable: false, cause: error });
  }
  return new LlmError('network', error instanceof Error ? error.message : String(error), { cause: error });
}
