import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { createBudgetGate } from './budget/budget.js';
import type { BudgetScope } from './budget/errors.js';
import { createMemoryLedger } from './budget/ledger.js';
import { createRedisLedger } from './budget/redis-ledger.js';
import { createRedisCacheStore } from './cache/redis-store.js';
import { createResponseCache, type CacheResult } from './cache/response-cache.js';
import { createMemoryCacheStore } from './cache/store.js';
import type { CostControls } from './cost-controls.js';

/** What the cost controls report; the app wires these to its metrics and logs. */
export interface CostControlEvents {
  cacheResult(result: CacheResult): void;
  budgetRejected(scope: BudgetScope): void;
  serviceSpent(usd: number): void;
  sharedStateError(component: 'cache' | 'budget' | 'rate_limit', operation: string, error: unknown): void;
}

/**
 * Builds the response cache and the budget gate on Redis when the service has one (state shared by every
 * replica), else in process. TTL 0 turns the cache off.
 */
export function createCostControls(config: Config, redis: Redis | undefined, events: CostControlEvents): CostControls {
  const { cache: cacheSettings, budget: budgetSettings } = config.costControls;
  const { timeoutMs, deadlineMs } = config.llm;
  // A replica waits for another's identical call at most one attempt's timeout, then calls the model itself.
  const lockMs = Math.min(timeoutMs, 30_000);
  const cache =
    cacheSettings.ttlSeconds > 0
      ? createResponseCache(
          redis ? createRedisCacheStore(redis) : createMemoryCacheStore(cacheSettings.maxEntries, cacheSettings.ttlSeconds),
          { ttlSeconds: cacheSettings.ttlSeconds, lockMs, lockWaitMs: lockMs },
          {
            onResult: events.cacheResult,
            onStoreError: (operation, error) => events.sharedStateError('cache', operation, error),
          },
        )
      : undefined;
  const budget = createBudgetGate({
    ledger: redis ? createRedisLedger(redis) : createMemoryLedger(),
    limits: budgetSettings.limits,
    // Longer than any call can take (LLM_DEADLINE_MS bounds every attempt and backoff); past it a
    // crashed replica's reservation lapses.
    reservationTtlMs: deadlineMs + 10_000,
    failOpen: budgetSettings.failOpen,
    events: {
      onRejected: events.budgetRejected,
      onServiceSpent: events.serviceSpent,
      onLedgerError: (operation, error) => events.sharedStateError('budget', operation, error),
    },
  });
  return { cache, budget };
}
