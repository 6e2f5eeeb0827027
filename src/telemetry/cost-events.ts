import type { Logger } from 'pino';
import type { CostControlEvents } from '../llm/cost-controls-factory.js';
import type { Metrics } from './metrics.js';

/** Turns what the cost controls report into metrics; store failures are logged at debug (they are counted). */
export function costControlEvents(metrics: Metrics, logger: Logger): CostControlEvents {
  return {
    cacheResult: (result) => metrics.llmCacheRequests.inc({ result }),
    budgetRejected: (scope) => metrics.budgetRejections.inc({ scope }),
    serviceSpent: (usd) => metrics.budgetSpent.set({ scope: 'service' }, usd),
    sharedStateError(component, operation, error) {
      metrics.sharedStateErrors.inc({ component });
      logger.debug({ event: 'shared_state_error', component, operation, err: error }, 'Redis operation failed');
    },
  };
}
