import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * Series of the cost controls (response cache, budgets, batch, shared state). Labels are bounded:
 * results, scopes and statuses are fixed sets; models come from the price table or the config.
 */
export function createCostMetrics(registers: Registry[]) {
  return {
    llmCacheRequests: new Counter({
      name: 'llm_cache_requests_total',
      help: 'Response-cache lookups by result: hit, miss, bypass (Cache-Control asked to skip), error (store unreachable, call made without it)',
      labelNames: ['result'] as const,
      registers,
    }),
    llmCostSaved: new Counter({
      name: 'llm_cost_saved_usd_total',
      help: 'USD not spent because the response cache answered: the original cost of each answer served from it',
      labelNames: ['model'] as const,
      registers,
    }),
    budgetSpent: new Gauge({
      name: 'budget_spent_usd',
      help: 'USD spent today (UTC) against the budget, settled calls only (scope: service)',
      labelNames: ['scope'] as const,
      registers,
    }),
    budgetLimit: new Gauge({
      name: 'budget_limit_usd',
      help: 'Daily budget in USD (scope: service)',
      labelNames: ['scope'] as const,
      registers,
    }),
    budgetRejections: new Counter({
      name: 'budget_rejections_total',
      help: 'Model calls refused because a budget (service, caller or user) would be exceeded',
      labelNames: ['scope'] as const,
      registers,
    }),
    sharedStateErrors: new Counter({
      name: 'shared_state_errors_total',
      help: 'Failed Redis operations by component (cache, budget, rate_limit); the cache and rate limit go on without Redis',
      labelNames: ['component'] as const,
      registers,
    }),
    batchSize: new Histogram({
      name: 'batch_size',
      help: 'Items per POST /api/batch request',
      buckets: [1, 2, 5, 10, 20, 50, 100],
      registers,
    }),
    batchItems: new Counter({
      name: 'batch_items_total',
      help: 'Batch items by status (ok, error)',
      labelNames: ['status'] as const,
      registers,
    }),
  };
}
