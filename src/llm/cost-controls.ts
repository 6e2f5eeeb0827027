import { worstCaseCostUsd } from './budget/estimate.js';
import type { BudgetGate, BudgetReservation, Spender } from './budget/budget.js';
import { cacheKey } from './cache/key.js';
import type { CacheMode, ResponseCache } from './cache/response-cache.js';
import type { CachedAnswer } from './cache/store.js';
import type { LlmRequest } from './types.js';

/** What a request asks of the cost controls: its Cache-Control mode and who pays for it. */
export interface CallControls {
  cache?: CacheMode;
  spender?: Spender;
}

export interface CostControls {
  cache?: ResponseCache;
  budget?: BudgetGate;
}

export interface BilledAnswer {
  text: string;
  finishReason: string;
  responseModel?: string;
  traceId: string;
  /** What the call was billed for (the original usage, not zeros). */
  billedUsage: CachedAnswer['usage'];
}

// Work done for the service itself (an eval run, a bench) still counts against the service's budget.
const serviceSpender: Spender = { callerId: 'internal' };
const unreserved: BudgetReservation = { settle: async () => undefined, release: async () => undefined };

/**
 * Puts the response cache and the spend budget in front of a model call: a hit costs nothing and skips
 * the budget; a miss reserves the worst case before the call (refusing it when over budget).
 */
export function withCostControls<R extends BilledAnswer>(
  providerName: string,
  controls: CostControls,
  callModel: (request: LlmRequest, reservation: BudgetReservation, cacheOn: boolean) => Promise<R>,
  describeHit: (request: LlmRequest, answer: CachedAnswer) => R,
) {
  const { cache, budget } = controls;
  const budgeted = async (request: LlmRequest, call: CallControls) => {
    const reservation = budget?.enabled
      ? await budget.reserve(call.spender ?? serviceSpender, worstCaseCostUsd(request) ?? 0)
      : unreserved;
    return callModel(request, reservation, Boolean(cache));
  };
  return async function generate(request: LlmRequest, call: CallControls = {}): Promise<R> {
    if (!cache) return budgeted(request, call);
    const outcome = await cache.run(cacheKey(providerName, request), call.cache ?? 'default', {
      call: () => budgeted(request, call),
      storable: (result) =>
        result.finishReason === 'STOP'
          ? {
              text: result.text,
              finishReason: result.finishReason,
              usage: result.billedUsage,
              requestedModel: request.model,
              responseModel: result.responseModel,
              traceId: result.traceId,
              storedAt: Date.now(),
            }
          : undefined,
    });
    return outcome.hit ? describeHit(request, outcome.answer) : outcome.value;
  };
}
