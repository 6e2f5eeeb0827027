import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * Series of the cost controls (response cache, budgets, batch, shared state). Labels are bounded:
 * results, scopes and statuses are fixed sets; models come from the price table or the config.
 */
export function createCostMetrics(registers: Registry[]) {
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) => new Counter<L>({ name, help, labelNames, registers });
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) => new Gauge<L>({ name, help, labelNames, registers });
  return {
    llmCacheRequests: counter(
      'llm_cache_requests_total',
      'Response-cache lookups by result: hit, miss, bypass (Cache-Control asked to skip), error (store unreachable, call made without it)',
      ['result'],
    ),
    llmCostSaved: counter(
      'llm_cost_saved_usd_total',
      'USD not spent because the response cache answered: the original cost of each answer served from it',
      ['model'],
    ),
    budgetSpent: gauge('budget_spent_usd', 'USD spent today (UTC) against the budget, settled calls only (scope: service)', ['scope']),
    budgetLimit: gauge('budget_limit_usd', 'Daily budget in USD (scope: service)', ['scope']),
    budgetRejections: counter('budget_rejections_total', 'Model calls refused because a budget (service, caller or user) would be exceeded', ['scope']),
    sharedStateErrors: counter(
      'shared_state_errors_total',
      'Failed Redis operations by component (cache, budget, rate_limit); the cache and rate limit go on without Redis',
      ['component'],
    ),
    batchSize: new Histogram({ name: 'batch_size', help: 'Items per POST /api/batch request', buckets: [1, 2, 5, 10, 20, 50, 100], registers }),
    batchItems: counter('batch_items_total', 'Batch items by status (ok, error)', ['status']),
  };
}
