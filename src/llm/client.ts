import { setTimeout as sleep } from 'node:timers/promises';
import CircuitBreaker from 'opossum';
import pRetry from 'p-retry';
import type { Config } from '../config/index.js';
import type { BudgetReservation } from './budget/budget.js';
import { describeCacheHit } from './cache-hit.js';
import type { CachedAnswer } from './cache/store.js';
import { withCostControls, type CallControls, type CostControls } from './cost-controls.js';
import { LlmCallCancelled, LlmError } from './errors.js';
import { priceCall, type PricedCall } from './pricing.js';
import type { LlmCallHandle, LlmTelemetryPort } from './telemetry-port.js';
import type { CacheInfo, LlmCallRecord, LlmProvider, LlmRequest, ProviderResponse, StreamChunk } from './types.js';
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

/** One attempt at the model, cancelled through `signal` (attempt timeout, deadline, shutdown or caller). */
type Attempt = (signal: AbortSignal) => Promise<ProviderResponse>;

/** How far a streamed call got: what the caller saw, and what it is billed if it leaves. */
interface CallProgress {
  firstChunkAt?: number;
  usage?: TokenUsage;
  responseModel?: string;
}

interface CallOptions {
  /** The caller's signal: when it aborts, the call is recorded as `cancelled`. */
  callerSignal?: AbortSignal;
  canRetry?: () => boolean;
  progress?: () => CallProgress;
  /** The budget reserved for this call: settled to its cost, or released when nothing was billed. */
  reservation?: BudgetReservation;
  /** The response cache was consulted (a miss): the description says `cache: {hit: false}`. */
  cacheOn?: boolean;
}

export interface StreamOptions {
  signal?: AbortSignal;
  onDelta: (text: string) => void;
}

/**
 * The only way the service calls a model. One call = one span covering every attempt; retries honour
 * Gemini's RetryInfo; a per-model circuit breaker fails fast while the model keeps failing. Whatever
 * happens, exactly one call description reaches the telemetry layer.
 */
export function createLlmClient({ provider, providerName, telemetry, settings, stopSignal, costControls = {} }: ClientOptions) {
  const breakers = new Map<string, CircuitBreaker<[Attempt, AbortSignal, AbortSignal | undefined], ProviderResponse>>();
  const breakerFor = (model: string) => {
    let breaker = breakers.get(model);
    if (!breaker) {
      breaker = new CircuitBreaker(
        (invoke: Attempt, signal: AbortSignal, callerSignal: AbortSignal | undefined) => attemptOnce(invoke, settings.timeoutMs, signal, callerSignal),
        {
        timeout: false,
        resetTimeout: settings.circuitResetMs,
        rollingCountTimeout: 30_000,
        volumeThreshold: settings.circuitFailures,
        errorThresholdPercentage: 50,
        // A blocked prompt, a bad request or a caller who went away says nothing about the model's health.
        errorFilter: (error: unknown) => error instanceof LlmCallCancelled || (error instanceof LlmError && !error.retryable),
        },
      );
      breaker.on('open', () => telemetry.recordBreaker(model, 'open'));
      breaker.on('halfOpen', () => telemetry.recordBreaker(model, 'half_open'));
      breaker.on('close', () => telemetry.recordBreaker(model, 'closed'));
      telemetry.recordBreaker(model, 'closed');
      breakers.set(model, breaker);
    }
    return breaker;
  };

  /**
   * What every call shares: one span, attempts through the breaker with retries within one deadline,
   * exactly one description. `invoke` makes one attempt; `options` lets a streamed call stop retrying
   * once text reached its caller, and say how far it got when the caller leaves.
   */
  async function runCall(request: LlmRequest, invoke: Attempt, options: CallOptions = {}): Promise<LlmResult> {
    const { callerSignal, canRetry = () => true, progress = (): CallProgress => ({}), reservation, cacheOn } = options;
    const cache: CacheInfo | undefined = cacheOn ? { hit: false } : undefined;
    const call = telemetry.startLlmCall(request, provider.system, provider.serverAddress);
    const startedAt = Date.now();
    const started = performance.now();
    const attempts = { count: 0 };
    // One budget for every attempt and backoff, so that a call always ends within LLM_DEADLINE_MS.
    const deadline = AbortSignal.timeout(settings.deadlineMs);
    const signal = AbortSignal.any([deadline, ...(stopSignal ? [stopSignal] : []), ...(callerSignal ? [callerSignal] : [])]);
    // The model call alone is inside the try: describing the outcome happens once, after it, so that
    // nothing the telemetry layer does can turn a success into a failure or describe a call twice.
    let outcome: CallOutcome;
    let failure: Error | undefined;
    try {
      const response = await call.runInContext(() => callWithRetries(request, invoke, call, attempts, signal, callerSignal, canRetry));
      outcome = { status: 'success', response, usage: response.usage, cost: priceCall(response.usage, [response.responseModel, request.model], { at: startedAt }) };
    } catch (error) {
      if (callerSignal?.aborted && !stopSignal?.aborted) {
        const { usage = emptyUsage(), responseModel } = progress();
        outcome = { status: 'cancelled', usage, cost: priceCall(usage, [responseModel, request.model], { at: startedAt }) };
        failure = new LlmCallCancelled(call.traceId);
      } else {
        const llmFailure = stopSignal?.aborted ? shuttingDown(error) : deadline.aborted ? deadlineExceeded(error, settings.deadlineMs) : asLlmError(error);
        const usage = llmFailure.usage ?? emptyUsage();
        outcome = {
          status: 'error',
          usage,
          cost: priceCall(usage, [llmFailure.responseModel, request.model], { at: startedAt }),
          error: { type: llmFailure.type, message: llmFailure.message },
        };
        failure = llmFailure;
      }
    }
    const latencyMs = performance.now() - started;
    const { firstChunkAt } = progress();
    call.finish({
      ...outcome,
      request,
      provider: providerName,
      startedAt,
      latencyMs,
      ...(firstChunkAt !== undefined ? { timeToFirstChunkMs: firstChunkAt - started } : {}),
      attempts: attempts.count,
      traceId: call.traceId,
      spanId: call.spanId,
      ...(cache ? { cache } : {}),
    });
    // A failed call frees its reservation, unless tokens were billed anyway (thinking cut off by MAX_TOKENS, a cancelled stream).
    await (outcome.cost.costUsd || !failure ? reservation?.settle(outcome.cost.costUsd ?? 0) : reservation?.release());
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

  const controlled = (
    call: (request: LlmRequest, reservation: BudgetReservation, cacheOn: boolean) => Promise<LlmResult>,
    onHit: (answer: CachedAnswer) => void = () => undefined,
  ) =>
    withCostControls(providerName, costControls, call, (request, answer) => {
      onHit(answer);
      return describeCacheHit({ telemetry, provider, providerName }, request, answer);
    });

  /** One answer; `controls` choose the cache mode and who pays (the response cache and budgets come first). */
  function generate(request: LlmRequest, controls?: CallControls): Promise<LlmResult> {
    return controlled((checked, reservation, cacheOn) =>
      runCall(checked, (signal) => provider.generate(checked, signal), { reservation, cacheOn }),
    )(request, controls);
  }

  /**
   * Streams the answer to `onDelta`. Retries only until the first text reached the caller; when
   * `signal` aborts, the model stream is aborted and the call is recorded as `cancelled`. A cache hit
   * arrives as one delta.
   */
  function generateStream(request: LlmRequest, { signal, onDelta }: StreamOptions, controls?: CallControls): Promise<LlmResult> {
    const streamOnce = (checked: LlmRequest, reservation: BudgetReservation, cacheOn: boolean) => {
      const streamed: LlmRequest = { ...checked, stream: true };
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
        reservation,
        cacheOn,
      });
    };
    return controlled(streamOnce, (answer) => onDelta(answer.text))(request, controls);
  }

  function callWithRetries(
    request: LlmRequest,
    invoke: Attempt,
    call: LlmCallHandle,
    attempts: { count: number },
    signal: AbortSignal,
    callerSignal: AbortSignal | undefined,
    canRetry: () => boolean,
  ): Promise<ProviderResponse> {
    const willRetry = (error: LlmError) => error.retryable && canRetry();
    return pRetry(
      async () => {
        attempts.count += 1;
        try {
          return await breakerFor(request.model).fire(invoke, signal, callerSignal);
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
        signal,
        shouldRetry: ({ error }) => error instanceof LlmError && willRetry(error),
        onFailedAttempt: async ({ error, retriesLeft }) => {
          if (error instanceof LlmCallCancelled) return;
          const llmError = asLlmError(error);
          if (retriesLeft <= 0 || !willRetry(llmError)) return;
          call.attemptFailed(llmError, attempts.count);
          // Gemini says how long to wait on a 429 (RetryInfo), in the body rather than a header.
          if (llmError.retryAfterMs) await sleep(Math.min(llmError.retryAfterMs, settings.retryMaxDelayMs), undefined, { signal });
        },
      },
    );
  }

  return { generate, generateStream, providerName };
}

export type LlmClient = ReturnType<typeof createLlmClient>;

async function attemptOnce(invoke: Attempt, timeoutMs: number, callSignal: AbortSignal, callerSignal: AbortSignal | undefined): Promise<ProviderResponse> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    return await invoke(AbortSignal.any([controller.signal, callSignal]));
  } catch (error) {
    // The provider reports any abort as a timeout; this one was the caller leaving.
    if (callerSignal?.aborted) throw new LlmCallCancelled();
    throw error;
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
