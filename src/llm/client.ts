import { setTimeout as sleep } from 'node:timers/promises';
import { context } from '@opentelemetry/api';
import CircuitBreaker from 'opossum';
import pRetry from 'p-retry';
import type { Config } from '../config/index.js';
import type { LlmCallTelemetry } from '../telemetry/llm-call.js';
import { LlmCallCancelled, LlmError } from './errors.js';
import { priceCall, type PricedCall } from './pricing.js';
import type { LlmCallRecord, LlmProvider, LlmRequest, ProviderResponse, StreamChunk } from './types.js';
import { emptyUsage, type TokenUsage } from './usage.js';

export interface LlmResult {
  text: string;
  model: string;
  usage: TokenUsage;
  cost: PricedCall;
  latencyMs: number;
  traceId: string;
}

type BreakerState = 'closed' | 'half_open' | 'open';

/** One attempt at the model, cancelled through `signal` (per-attempt timeout or the caller leaving). */
type Attempt = (signal: AbortSignal) => Promise<ProviderResponse>;

interface CallProgress {
  firstChunkAt?: number;
  usage?: TokenUsage;
  responseModel?: string;
}

interface CallOptions {
  callerSignal?: AbortSignal;
  canRetry?: () => boolean;
  progress?: () => CallProgress;
}

export interface StreamOptions {
  signal?: AbortSignal;
  onDelta: (text: string) => void;
}

interface ClientOptions {
  provider: LlmProvider;
  providerName: string;
  telemetry: LlmCallTelemetry;
  settings: Config['llm'];
  onBreakerState?: (model: string, state: BreakerState) => void;
}

/**
 * The only way the service calls a model. One call = one span covering every attempt; retries honour
 * Gemini's RetryInfo; a per-model circuit breaker fails fast while the model keeps failing. Whatever
 * happens, exactly one call description reaches the telemetry layer.
 */
export function createLlmClient({ provider, providerName, telemetry, settings, onBreakerState }: ClientOptions) {
  const breakers = new Map<string, CircuitBreaker<[Attempt, AbortSignal | undefined], ProviderResponse>>();
  const breakerFor = (model: string) => {
    let breaker = breakers.get(model);
    if (!breaker) {
      breaker = new CircuitBreaker((invoke: Attempt, callerSignal: AbortSignal | undefined) => attemptOnce(invoke, settings.timeoutMs, callerSignal), {
        timeout: false,
        resetTimeout: settings.circuitResetMs,
        rollingCountTimeout: 30_000,
        volumeThreshold: settings.circuitFailures,
        errorThresholdPercentage: 50,
        // A blocked prompt, a bad request or a caller who went away says nothing about the model's health.
        errorFilter: (error: unknown) => error instanceof LlmCallCancelled || (error instanceof LlmError && !error.retryable),
      });
      breaker.on('open', () => onBreakerState?.(model, 'open'));
      breaker.on('halfOpen', () => onBreakerState?.(model, 'half_open'));
      breaker.on('close', () => onBreakerState?.(model, 'closed'));
      onBreakerState?.(model, 'closed');
      breakers.set(model, breaker);
    }
    return breaker;
  };

  /**
   * What every call shares: one span, attempts through the breaker with retries, exactly one record.
   * `invoke` makes one attempt; `options` lets a streamed call stop retrying once text reached the caller
   * and report how far it got when the caller cancels.
   */
  async function runCall(request: LlmRequest, invoke: Attempt, options: CallOptions = {}): Promise<LlmResult> {
    const { callerSignal, canRetry = () => true, progress = (): CallProgress => ({}) } = options;
    const call = telemetry.start(request, provider.system, provider.serverAddress);
    const startedAt = Date.now();
    const started = performance.now();
    let attempts = 0;
    const finish = (record: Omit<LlmCallRecord, 'request' | 'provider' | 'startedAt' | 'latencyMs' | 'attempts' | 'traceId' | 'spanId'>) => {
      const { firstChunkAt } = progress();
      const full: LlmCallRecord = {
        ...record,
        request,
        provider: providerName,
        startedAt,
        latencyMs: performance.now() - started,
        ...(firstChunkAt !== undefined ? { timeToFirstChunkMs: firstChunkAt - started } : {}),
        attempts,
        traceId: call.traceId,
        spanId: call.spanId,
      };
      context.with(call.context, () => call.finish(full));
      return full;
    };
    const willRetry = (error: unknown) => error instanceof LlmError && error.retryable && canRetry();
    try {
      const response = await context.with(call.context, () =>
        pRetry(
          async () => {
            attempts += 1;
            try {
              return await breakerFor(request.model).fire(invoke, callerSignal);
            } catch (error) {
              throw error instanceof LlmCallCancelled ? error : asLlmError(error);
            }
          },
          {
            retries: settings.maxRetries,
            factor: 2,
            minTimeout: settings.retryBaseMs,
            maxTimeout: settings.retryMaxDelayMs,
            randomize: true,
            signal: callerSignal,
            shouldRetry: ({ error }) => willRetry(error),
            onFailedAttempt: async ({ error, retriesLeft }) => {
              const llmError = asLlmError(error);
              if (retriesLeft <= 0 || !willRetry(llmError) || callerSignal?.aborted) return;
              call.attemptFailed(llmError, attempts);
              // Gemini says how long to wait on a 429 (RetryInfo), in the body rather than a header.
              if (llmError.retryAfterMs) await sleep(Math.min(llmError.retryAfterMs, settings.retryMaxDelayMs), undefined, { signal: callerSignal });
            },
          },
        ),
      );
      const usage = response.usage;
      const cost = priceCall(usage, [response.responseModel, request.model]);
      const record = finish({ status: 'success', response, usage, cost });
      return {
        text: response.text,
        model: cost.pricedModel ?? response.responseModel ?? request.model,
        usage,
        cost,
        latencyMs: record.latencyMs,
        traceId: call.traceId,
      };
    } catch (error) {
      if (callerSignal?.aborted) {
        const { usage = emptyUsage(), responseModel } = progress();
        finish({ status: 'cancelled', usage, cost: priceCall(usage, [responseModel, request.model]) });
        throw new LlmCallCancelled(call.traceId);
      }
      const llmError = asLlmError(error);
      const usage = llmError.usage ?? emptyUsage();
      finish({
        status: 'error',
        usage,
        cost: priceCall(usage, [llmError.responseModel, request.model]),
        error: { type: llmError.type, message: llmError.message },
      });
      throw llmError;
    }
  }

  function generate(request: LlmRequest): Promise<LlmResult> {
    return runCall(request, (signal) => provider.generate(request, signal));
  }

  /**
   * Streams the answer to `onDelta`. Retries only until the first text reached the caller; when
   * `signal` aborts, the model stream is aborted and the call is recorded as `cancelled`.
   */
  function generateStream(request: LlmRequest, { signal, onDelta }: StreamOptions): Promise<LlmResult> {
    const streamed: LlmRequest = { ...request, stream: true };
    const seen: CallProgress = {};
    let delivered = false;
    const onChunk = ({ text, usage, responseModel }: StreamChunk) => {
      seen.firstChunkAt ??= performance.now();
      seen.usage = usage ?? seen.usage;
      seen.responseModel = responseModel ?? seen.responseModel;
      if (!text) return;
      delivered = true;
      onDelta(text);
    };
    return runCall(streamed, (attemptSignal) => provider.stream(streamed, attemptSignal, onChunk), {
      callerSignal: signal,
      canRetry: () => !delivered,
      progress: () => seen,
    });
  }

  return { generate, generateStream, providerName };
}

export type LlmClient = ReturnType<typeof createLlmClient>;

async function attemptOnce(invoke: Attempt, timeoutMs: number, callerSignal?: AbortSignal): Promise<ProviderResponse> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const cancel = () => controller.abort();
  callerSignal?.addEventListener('abort', cancel, { once: true });
  try {
    return await invoke(controller.signal);
  } catch (error) {
    // The provider reports any abort as a timeout; this one was the caller leaving.
    if (callerSignal?.aborted) throw new LlmCallCancelled();
    throw error;
  } finally {
    clearTimeout(timer);
    callerSignal?.removeEventListener('abort', cancel);
  }
}

function asLlmError(error: unknown): LlmError {
  if (error instanceof LlmError) return error;
  if ((error as { code?: string })?.code === 'EOPENBREAKER') {
    return new LlmError('circuit_open', 'model circuit breaker is open after repeated failures', { retryable: false, cause: error });
  }
  return new LlmError('network', error instanceof Error ? error.message : String(error), { cause: error });
}
