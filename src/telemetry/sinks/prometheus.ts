import type { BreakerState } from '../../llm/telemetry-port.js';
import type { LlmCallRecord, LlmErrorType } from '../../llm/types.js';
import { recordCacheHit } from '../support/llm-cache.js';
import { modelLabel } from '../support/model-label.js';
import type { BatchSummary, CostControlSignals, HttpExchange, QueryOutcome, RenderedMetrics, SinkName } from '../types.js';
import { recordGenAiMetrics } from './prometheus-genai.js';
import type { Metrics } from './prometheus-registry.js';

const breakerStateValue: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

/** Every metric write of the service, from the descriptions the fan-out hands it. */
export function createPrometheusSink(metrics: Metrics, touchSession: (sessionKey: string) => void) {
  return {
    /** `system` and `serverAddress` are the provider's, as the call started: the GenAI metrics carry them. */
    llmCall(record: LlmCallRecord, system: string, serverAddress: { host: string; port: number } | undefined) {
      const model = modelLabel(record);
      if (recordCacheHit(metrics, record, model)) return;
      const { usage } = record;
      metrics.llmRequests.inc({ model, status: record.status });
      if (record.error) metrics.llmErrors.inc({ model, error_type: record.error.type });
      metrics.llmTokens.inc({ model, type: 'input' }, usage.input);
      metrics.llmTokens.inc({ model, type: 'cached' }, usage.cached);
      metrics.llmTokens.inc({ model, type: 'output' }, usage.output);
      metrics.llmTokens.inc({ model, type: 'reasoning' }, usage.reasoning);
      if (record.cost.costUsd === null) metrics.llmUnpricedCalls.inc({ model });
      else metrics.llmCost.inc({ model, prompt_version: String(record.request.promptRef.version) }, record.cost.costUsd);
      metrics.llmLatency.observe({ labels: { model }, value: record.latencyMs / 1000, exemplarLabels: { trace_id: record.traceId } });
      recordGenAiMetrics(metrics, record, system, serverAddress);
      if (record.timeToFirstChunkMs !== undefined) {
        metrics.llmTimeToFirstChunk.observe({
          labels: { gen_ai_operation_name: 'generate_content', gen_ai_provider_name: system, gen_ai_request_model: record.request.model },
          value: record.timeToFirstChunkMs / 1000,
          exemplarLabels: { trace_id: record.traceId },
        });
      }
    },
    llmAttemptFailed(model: string, errorType: LlmErrorType) {
      metrics.llmRequests.inc({ model, status: 'error' });
      metrics.llmErrors.inc({ model, error_type: errorType });
      metrics.llmRetries.inc({ model, error_type: errorType });
    },
    agentEnded(agent: string, status: 'success' | 'error', seconds: number, traceId: string) {
      metrics.agentDuration.observe({ labels: { agent, status }, value: seconds, exemplarLabels: { trace_id: traceId } });
    },
    query(outcome: QueryOutcome) {
      metrics.queryRequests.inc({ status: outcome.status });
      if (outcome.sessionKey) touchSession(outcome.sessionKey);
      if (outcome.status !== 'success') return;
      if (outcome.promptVersion !== undefined && outcome.durationSeconds !== undefined) {
        metrics.queryDuration.observe({
          labels: { prompt_version: String(outcome.promptVersion) },
          value: outcome.durationSeconds,
          exemplarLabels: { trace_id: outcome.traceId },
        });
      }
      if (outcome.costUsd !== null && outcome.costUsd !== undefined) {
        metrics.queryCost.observe({
          labels: { query_type: outcome.queryType ?? 'other' },
          value: outcome.costUsd,
          exemplarLabels: { trace_id: outcome.traceId },
        });
      }
      if (outcome.retrievedDocs !== undefined) metrics.retrievalDocuments.observe(outcome.retrievedDocs);
      if (outcome.averageRelevance !== undefined && outcome.retrievedDocs) metrics.retrievalRelevance.observe(outcome.averageRelevance);
    },
    feedback(helpful: boolean, promptVersion: number) {
      metrics.feedback.inc({ helpful: String(helpful), prompt_version: String(promptVersion) });
    },
    /** Zero series for a prompt version now served, so that increase() counts its first verdict too. */
    promptLoaded(version: number) {
      for (const helpful of ['true', 'false']) metrics.feedback.inc({ helpful, prompt_version: String(version) }, 0);
    },
    promptFallback(reason: string) {
      metrics.promptFallback.inc({ reason });
    },
    http(exchange: HttpExchange) {
      metrics.httpDuration.observe({
        labels: { route: exchange.route, method: exchange.method, status_code: String(exchange.statusCode) },
        value: exchange.durationSeconds,
        ...(exchange.traceId ? { exemplarLabels: { trace_id: exchange.traceId } } : {}),
      });
    },
    breaker(model: string, state: BreakerState) {
      metrics.llmCircuitState.set({ model }, breakerStateValue[state]);
    },
    cacheResult: (result: Parameters<CostControlSignals['cacheResult']>[0]) => metrics.llmCacheRequests.inc({ result }),
    budgetRejected: (scope: Parameters<CostControlSignals['budgetRejected']>[0]) => metrics.budgetRejections.inc({ scope }),
    serviceBudget(limitUsd: number | undefined, spentUsd: number) {
      if (limitUsd !== undefined) metrics.budgetLimit.set({ scope: 'service' }, limitUsd);
      metrics.setServiceSpent(spentUsd);
    },
    sharedStateError: (component: Parameters<CostControlSignals['sharedStateError']>[0]) => metrics.sharedStateErrors.inc({ component }),
    batch(summary: BatchSummary) {
      metrics.batchSize.observe(summary.size);
      metrics.batchItems.inc({ status: 'ok' }, summary.succeeded);
      metrics.batchItems.inc({ status: 'error' }, summary.failed);
    },
    internalError(sink: SinkName) {
      metrics.telemetryInternalErrors.inc({ sink });
    },
    /** OpenMetrics (with exemplars) for scrapers that ask for it, the classic text format otherwise. */
    async render(openMetrics: boolean): Promise<RenderedMetrics> {
      const registry = openMetrics ? metrics.registry : metrics.plainTextRegistry;
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

export type PrometheusSink = ReturnType<typeof createPrometheusSink>;
