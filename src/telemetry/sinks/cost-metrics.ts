import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * Series of the cost controls (response cache, budgets, batch, shared state). Labels are bounded:
 * results, scopes and statuses are fixed sets; models come from the price table or the config.
 */
export function createCostMetrics(registers: Registry[]) {
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) => new Counter<L>({ name, help, labelNames, registers });
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) => new Gauge<L>({ name, help, labelNames, registers });
  const utcDay = () => new Date().toISOString().slice(0, 10);
  // The spend is only reported when a call settles: at midnight UTC it falls back to 0 by itself, so an
  // idle service does not keep yesterday's figure (and its alert) into the new day.
  let spentDay = utcDay();
  const budgetSpent = new Gauge({
    name: 'budget_spent_usd',
    help: 'USD spent today (UTC) against the budget, settled calls only (scope: service)',
    labelNames: ['scope'] as const,
    registers,
    collect() {
      if (spentDay === utcDay()) return;
      spentDay = utcDay();
      this.set({ scope: 'service' }, 0);
    },
  });
  return {
    /** Today's settled service spend, as the budget ledger reports it after a call. */
    setServiceSpent(usd: number) {
      spentDay = utcDay();
      budgetSpent.set({ scope: 'service' }, usd);
    },
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
