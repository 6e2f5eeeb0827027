import { sinkNames } from '../types.js';
import { createGenAiMetrics, operationDurationBuckets } from './prometheus-genai.js';
import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  type Metric,
  type OpenMetricsContentType,
} from 'prom-client';
import { createCostMetrics } from './cost-metrics.js';

/**
 * The metric registry. Names follow the reference chapter (llm_requests_total, llm_tokens_total,
 * llm_cost_total, llm_latency_seconds, active_sessions, query_requests_total); everything else is
 * added for the dashboards and alerts in prometheus/ and grafana/, and the OpenTelemetry GenAI client
 * metrics (prometheus-genai.ts) sit next to them. Every label is bounded: models
 * come from the config or the price table, never from user input.
 */
/** The chapter's buckets, doubled past 30 s until the last one is above the longest call the retry settings allow. */
export function llmLatencyBuckets(longestCallSeconds: number): number[] {
  const buckets = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];
  while ((buckets.at(-1) as number) <= longestCallSeconds) buckets.push((buckets.at(-1) as number) * 2);
  return buckets;
}

export interface MetricsOptions {
  countActiveSessions?: () => number;
  /** `longestCallMs` of the LLM settings, in seconds; without it, the chapter's buckets (up to 30 s). */
  longestLlmCallSeconds?: number;
}

export function createMetrics({ countActiveSessions = () => 0, longestLlmCallSeconds = 0 }: MetricsOptions = {}) {
  // prom-client only records exemplars on an OpenMetrics registry; /metrics converts for plain-text scrapers.
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  const registers = [registry];
  const counter = <Label extends string>(name: string, help: string, labelNames: readonly Label[]) =>
    new Counter<Label>({ name, help, labelNames, registers });
  // Exemplars carry the trace id, so a latency or cost outlier links to its trace.
  const histogramWithExemplars = <Label extends string>(name: string, help: string, labelNames: readonly Label[], buckets: number[]) =>
    new Histogram<Label | 'trace_id'>({ name, help, labelNames, buckets, enableExemplars: true, registers });

  const metrics = {
    registry,
    ...createCostMetrics(registers as unknown as Registry[]),
    llmRequests: counter('llm_requests_total', 'LLM calls by model and outcome (status: success, error, or cancelled when the caller went away); retried attempts count once each', ['model', 'status']),
    llmErrors: counter('llm_errors_total', 'Failed LLM attempts by model and error type (rate_limited, server_error, timeout, blocked, malformed, max_tokens, stream_error, circuit_open, network, client_error)', ['model', 'error_type']),
    llmRetries: counter('llm_retries_total', 'LLM attempts that were retried, by model and error type', ['model', 'error_type']),
    llmTokens: counter('llm_tokens_total', 'LLM tokens by model and type (input excludes cached; output excludes reasoning)', ['model', 'type']),
    llmCost: counter('llm_cost_total', 'LLM cost in USD by model and prompt version, from the versioned price table', ['model', 'prompt_version']),
    llmUnpricedCalls: counter('llm_unpriced_calls_total', 'LLM calls whose model is not in the price table (their cost is unknown, not zero)', ['model']),
    llmLatency: histogramWithExemplars('llm_latency_seconds', 'LLM call latency in seconds, retries included; exemplars carry the trace id', ['model'], llmLatencyBuckets(longestLlmCallSeconds)),
    ...createGenAiMetrics(registers),
    // gen_ai.client.operation.time_to_first_chunk (semconv v1.41.1) in Prometheus naming, with the convention's buckets.
    llmTimeToFirstChunk: histogramWithExemplars(
      'gen_ai_client_operation_time_to_first_chunk_seconds',
      'Time from the start of a streamed LLM call to its first chunk, in seconds',
      ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model'],
      operationDurationBuckets,
    ),
    llmCircuitState: new Gauge({
      name: 'llm_circuit_breaker_state',
      help: 'Circuit breaker state per model: 0 closed, 1 half-open, 2 open',
      labelNames: ['model'] as const,
      registers,
    }),
    queryRequests: counter('query_requests_total', 'Research queries by outcome (success or error)', ['status']),
    queryDuration: histogramWithExemplars('query_duration_seconds', 'Time to answer one research query (successful ones), by the prompt version that answered it', ['prompt_version'], [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30]),
    promptFallback: counter('prompt_fallback_total', 'Requests served the local prompt file because LangFuse could not serve the prompt, by reason (not_found, timeout, unavailable, invalid)', ['reason']),
    queryCost: histogramWithExemplars('query_cost_usd', 'Cost of one research query in USD (priced calls only)', ['query_type'], [0, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5]),
    activeSessions: new Gauge({
      name: 'active_sessions',
      help: 'Distinct sessions (session_id, else user_id) seen in the last 15 minutes',
      registers,
      collect() {
        this.set(countActiveSessions());
      },
    }),
    httpDuration: histogramWithExemplars('http_request_duration_seconds', 'HTTP request duration by route template, method and status code', ['route', 'method', 'status_code'], [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]),
    agentDuration: histogramWithExemplars('agent_duration_seconds', 'Agent run time by agent (orchestrator, retriever, reasoner) and outcome', ['agent', 'status'], [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10]),
    retrievalRelevance: new Histogram({
      name: 'retrieval_relevance',
      help: 'Mean normalised relevance (0..1) of the documents retrieved for a query',
      buckets: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
      registers,
    }),
    retrievalDocuments: new Histogram({
      name: 'retrieval_documents',
      help: 'Number of documents retrieved for a query',
      buckets: [0, 1, 2, 3, 5, 8, 10, 15, 20],
      registers,
    }),
    feedback: counter('feedback_total', 'User feedback by verdict (helpful: true or false) and the prompt version of the answer', ['helpful', 'prompt_version']),
    telemetryExportFailures: counter('telemetry_export_failures_total', 'Failed telemetry exports by sink (otlp, langfuse, langsmith, loki)', ['sink']),
    telemetryInternalErrors: counter('telemetry_internal_errors_total', 'Telemetry writes that threw inside the service, by sink (tracing, langfuse, prometheus, logs, langsmith); the request went on', ['sink']),
    telemetryDropped: counter('telemetry_dropped_total', 'Telemetry items dropped by sink (spans, runs, scores or log lines), where the count is knowable', ['sink']),
  };
  collectDefaultMetrics({ register: registry });
  // Gauges named *_total break the exposition-format rules (promtool flags them); the handle and request
  // counts they carry are not used by any panel or alert.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(name);
  }
  const plainTextRegistry = mirrorAsPlainText(registry);
  for (const sink of ['otlp', 'langfuse', 'langsmith', 'loki'] as const) {
    // Zero-initialised so rate() and absent-data alerts see a series before the first failure.
    metrics.telemetryExportFailures.inc({ sink }, 0);
    metrics.telemetryDropped.inc({ sink }, 0);
  }
  for (const sink of sinkNames) metrics.telemetryInternalErrors.inc({ sink }, 0);
  for (const result of ['hit', 'miss', 'bypass', 'error'] as const) metrics.llmCacheRequests.inc({ result }, 0);
  for (const status of ['ok', 'error'] as const) metrics.batchItems.inc({ status }, 0);
  return { ...metrics, plainTextRegistry };
}

export type Metrics = ReturnType<typeof createMetrics>;

const withTotal = (name: string) => (name.endsWith('_total') ? name : `${name}_total`);

/**
 * The same metric objects, rendered in the classic text format for scrapers that do not ask for
 * OpenMetrics (exemplars only exist in the OpenMetrics rendering). Each metric is read through a view,
 * because prom-client's OpenMetrics rendering renames counters in place (dropping `_total`), which the
 * text format needs back.
 */
function mirrorAsPlainText(source: Registry<OpenMetricsContentType>): Registry {
  const mirror = new Registry();
  for (const metric of source.getMetricsAsArray() as unknown as Array<{ name: string; type: string; get(): Promise<{ name: string }> }>) {
    const isCounter = metric.type === 'counter';
    const view = {
      name: isCounter ? withTotal(metric.name) : metric.name,
      type: metric.type,
      get: async () => {
        const snapshot = await metric.get();
        return isCounter ? { ...snapshot, name: withTotal(snapshot.name) } : snapshot;
      },
    };
    mirror.registerMetric(view as unknown as Metric);
  }
  return mirror;
}
