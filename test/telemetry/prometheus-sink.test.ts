import { describe, expect, it } from 'vitest';
import { createPrometheusSink } from '../../src/telemetry/sinks/prometheus.js';
import { createMetrics } from '../../src/telemetry/sinks/prometheus-registry.js';
import { createSessionTracker } from '../../src/telemetry/support/sessions.js';
import { metricValue } from '../helpers/metrics-text.js';
import { traceFixture } from './langsmith-fixtures.js';

// Each write of the Prometheus sink, read back the way a scraper sees it, with exact values.
function sink() {
  const sessions = createSessionTracker();
  const metrics = createMetrics({ countActiveSessions: () => sessions.active() });
  const prometheus = createPrometheusSink(metrics, sessions.touch);
  return {
    prometheus,
    text: async () => (await prometheus.render(false)).body,
    openMetrics: async () => (await prometheus.render(true)).body,
  };
}

const model = 'gemini-2.5-flash';
const traceId = 'ab'.repeat(16);

describe('Prometheus sink', () => {
  it('files a priced call under its priced model: request, four token series, cost by prompt version, latency', async () => {
    const { prometheus, text, openMetrics } = sink();
    prometheus.llmCall({ ...traceFixture(traceId).llm, request: { ...traceFixture().llm.request, model: 'gemini-flash-latest' } }, 'gcp.gemini', undefined);
    const metrics = await text();
    expect(metricValue(metrics, 'llm_requests_total', { model, status: 'success' })).toBe(1);
    expect(metricValue(metrics, 'llm_tokens_total', { model, type: 'input' })).toBe(1000);
    expect(metricValue(metrics, 'llm_tokens_total', { model, type: 'cached' })).toBe(200);
    expect(metricValue(metrics, 'llm_tokens_total', { model, type: 'output' })).toBe(300);
    expect(metricValue(metrics, 'llm_tokens_total', { model, type: 'reasoning' })).toBe(100);
    expect(metricValue(metrics, 'llm_cost_total', { model, prompt_version: '2' })).toBe(0.001306);
    expect(metricValue(metrics, 'llm_latency_seconds_sum', { model })).toBeCloseTo(0.0354, 12);
    expect(metricValue(metrics, 'llm_latency_seconds_bucket', { model, le: '0.05' })).toBe(1);
    expect(metricValue(metrics, 'llm_latency_seconds_count', { model })).toBe(1);
    expect(metrics).not.toMatch(/^llm_errors_total\{/m);
    expect(metrics).not.toMatch(/^llm_unpriced_calls_total\{/m);
    expect(await openMetrics()).toMatch(new RegExp(`^llm_latency_seconds_bucket\\{[^}]*le="0.05"[^}]*\\} 1 # \\{trace_id="${traceId}"\\} 0.0354`, 'm'));
  });

  it('counts a failed call under its error type, and an unpriced one as unpriced with no cost series', async () => {
    const { prometheus, text } = sink();
    const { llm } = traceFixture();
    prometheus.llmCall({ ...llm, status: 'error', response: undefined, error: { type: 'max_tokens', message: 'no text' } }, 'gcp.gemini', undefined);
    prometheus.llmCall({ ...llm, request: { ...llm.request, model: 'gemini-9' }, cost: { pricedModel: undefined, costUsd: null, details: null } }, 'gcp.gemini', undefined);
    const metrics = await text();
    expect(metricValue(metrics, 'llm_requests_total', { model, status: 'error' })).toBe(1);
    expect(metricValue(metrics, 'llm_errors_total', { model, error_type: 'max_tokens' })).toBe(1);
    expect(metricValue(metrics, 'llm_requests_total', { model: 'gemini-9', status: 'success' })).toBe(1);
    expect(metricValue(metrics, 'llm_unpriced_calls_total', { model: 'gemini-9' })).toBe(1);
    expect(metricValue(metrics, 'llm_cost_total')).toBe(0.001306);
    expect(() => metricValue(metrics, 'llm_cost_total', { model: 'gemini-9' })).toThrow(/no series/);
  });

  it('counts a retried attempt as a failed request, an error and a retry', async () => {
    const { prometheus, text } = sink();
    prometheus.llmAttemptFailed(model, 'rate_limited');
    const metrics = await text();
    expect(metricValue(metrics, 'llm_requests_total', { model, status: 'error' })).toBe(1);
    expect(metricValue(metrics, 'llm_errors_total', { model, error_type: 'rate_limited' })).toBe(1);
    expect(metricValue(metrics, 'llm_retries_total', { model, error_type: 'rate_limited' })).toBe(1);
  });

  it('records a successful query: outcome, cost by query type (other when unknown), documents, relevance and its session', async () => {
    const { prometheus, text } = sink();
    prometheus.query({ status: 'success', queryType: 'survey', costUsd: 0.002, retrievedDocs: 5, averageRelevance: 0.75, sessionKey: 's1', traceId });
    prometheus.query({ status: 'success', costUsd: 0.0004, retrievedDocs: 0, averageRelevance: 0.9, sessionKey: 's2', traceId });
    prometheus.query({ status: 'success', costUsd: null, traceId });
    const metrics = await text();
    expect(metricValue(metrics, 'query_requests_total', { status: 'success' })).toBe(3);
    expect(metricValue(metrics, 'query_cost_usd_sum', { query_type: 'survey' })).toBe(0.002);
    expect(metricValue(metrics, 'query_cost_usd_count', { query_type: 'other' })).toBe(1);
    expect(metricValue(metrics, 'query_cost_usd_count')).toBe(2);
    expect(metricValue(metrics, 'retrieval_documents_sum')).toBe(5);
    expect(metricValue(metrics, 'retrieval_documents_count')).toBe(2);
    // No documents, no relevance to average.
    expect(metricValue(metrics, 'retrieval_relevance_sum')).toBe(0.75);
    expect(metricValue(metrics, 'retrieval_relevance_count')).toBe(1);
    expect(metricValue(metrics, 'active_sessions')).toBe(2);
  });

  it('times answered queries by prompt version, counts prompt fallbacks by reason, and starts a loaded version\'s feedback at zero', async () => {
    const { prometheus, text, openMetrics } = sink();
    prometheus.query({ status: 'success', costUsd: null, traceId, promptVersion: 2, durationSeconds: 0.3 });
    prometheus.query({ status: 'success', costUsd: null, traceId, promptVersion: 2, durationSeconds: 1.2 });
    prometheus.query({ status: 'success', costUsd: null, traceId, promptVersion: 1, durationSeconds: 0.05 });
    prometheus.query({ status: 'error', traceId, promptVersion: 1, durationSeconds: 9 });
    prometheus.promptFallback('timeout');
    prometheus.promptFallback('timeout');
    prometheus.promptFallback('not_found');
    prometheus.promptLoaded(3);
    const metrics = await text();
    expect(metricValue(metrics, 'query_duration_seconds_count', { prompt_version: '2' })).toBe(2);
    expect(metricValue(metrics, 'query_duration_seconds_sum', { prompt_version: '2' })).toBe(1.5);
    expect(metricValue(metrics, 'query_duration_seconds_count', { prompt_version: '1' })).toBe(1);
    expect(metricValue(metrics, 'query_duration_seconds_bucket', { prompt_version: '2', le: '1' })).toBe(1);
    expect(await openMetrics()).toMatch(new RegExp(`query_duration_seconds_bucket\\{le="0.5",prompt_version="2"\\} 1 # \\{trace_id="${traceId}"\\} 0.3`));
    expect(metricValue(metrics, 'prompt_fallback_total', { reason: 'timeout' })).toBe(2);
    expect(metricValue(metrics, 'prompt_fallback_total', { reason: 'not_found' })).toBe(1);
    expect(metrics).toContain('feedback_total{helpful="true",prompt_version="3"} 0');
    expect(metrics).toContain('feedback_total{helpful="false",prompt_version="3"} 0');
  });

  it('records only the outcome and the session of a failed query', async () => {
    const { prometheus, text } = sink();
    prometheus.query({ status: 'error', queryType: 'survey', costUsd: 0.002, retrievedDocs: 5, averageRelevance: 0.5, sessionKey: 's1', traceId });
    const metrics = await text();
    expect(metricValue(metrics, 'query_requests_total', { status: 'error' })).toBe(1);
    expect(() => metricValue(metrics, 'query_cost_usd_count')).toThrow(/no series/);
    expect(metricValue(metrics, 'retrieval_documents_count')).toBe(0);
    expect(metricValue(metrics, 'active_sessions')).toBe(1);
  });

  it('records feedback by verdict, HTTP exchanges by route, method and status, breaker states and internal errors', async () => {
    const { prometheus, text, openMetrics } = sink();
    prometheus.feedback(true, 2);
    prometheus.feedback(false, 2);
    prometheus.feedback(false, 1);
    prometheus.http({ route: '/api/query', method: 'POST', statusCode: 200, durationSeconds: 0.2, traceId });
    prometheus.http({ route: '/healthz', method: 'GET', statusCode: 200, durationSeconds: 0.001 });
    prometheus.breaker(model, 'open');
    prometheus.breaker('gemini-2.5-pro', 'half_open');
    prometheus.breaker('gemini-2.5-flash-lite', 'closed');
    prometheus.internalError('langfuse');
    const metrics = await text();
    expect(metricValue(metrics, 'feedback_total', { helpful: 'true', prompt_version: '2' })).toBe(1);
    expect(metricValue(metrics, 'feedback_total', { helpful: 'false', prompt_version: '2' })).toBe(1);
    expect(metricValue(metrics, 'feedback_total', { helpful: 'false', prompt_version: '1' })).toBe(1);
    expect(metricValue(metrics, 'http_request_duration_seconds_sum', { route: '/api/query', method: 'POST', status_code: '200' })).toBe(0.2);
    expect(metricValue(metrics, 'http_request_duration_seconds_count', { route: '/healthz', method: 'GET', status_code: '200' })).toBe(1);
    expect(metricValue(metrics, 'llm_circuit_breaker_state', { model })).toBe(2);
    expect(metricValue(metrics, 'llm_circuit_breaker_state', { model: 'gemini-2.5-pro' })).toBe(1);
    expect(metricValue(metrics, 'llm_circuit_breaker_state', { model: 'gemini-2.5-flash-lite' })).toBe(0);
    expect(metricValue(metrics, 'telemetry_internal_errors_total', { sink: 'langfuse' })).toBe(1);
    const exemplars = [...(await openMetrics()).matchAll(/^http_request_duration_seconds_bucket\{([^}]*)\} \d+ # \{trace_id="(\w+)"\}/gm)];
    expect(exemplars.map(([, labels, id]) => [labels.includes('route="/api/query"'), id])).toEqual([[true, traceId]]);
  });

  it('renders OpenMetrics only when asked, and the classic text format otherwise', async () => {
    const { prometheus } = sink();
    expect((await prometheus.render(true)).contentType).toMatch(/^application\/openmetrics-text/);
    expect((await prometheus.render(false)).contentType).toMatch(/^text\/plain/);
  });
});
