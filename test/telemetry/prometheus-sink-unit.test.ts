import { describe, expect, it } from 'vitest';
import { createPrometheusSink } from '../../src/telemetry/sinks/prometheus.js';
import { createMetrics } from '../../src/telemetry/sinks/prometheus-registry.js';
import { metricValue, parseSamples } from '../helpers/metrics-text.js';
import { traceFixture } from './langsmith-fixtures.js';

// The Prometheus sink writes the earlier sink tests leave out: cache hits, first-chunk time, agent
// exemplars, partial query outcomes and the cost-control signals; each read back with exact labels.
function sink() {
  const touched: string[] = [];
  const metrics = createMetrics();
  const prometheus = createPrometheusSink(metrics, (key) => touched.push(key));
  return {
    prometheus,
    touched,
    text: async () => (await prometheus.render(false)).body,
    openMetrics: async () => (await prometheus.render(true)).body,
  };
}

const traceId = 'cd'.repeat(16);
const seriesOf = (text: string, name: string) => parseSamples(text).filter((sample) => sample.name === name);

describe('Prometheus sink, the rest of its writes', () => {
  it('files a cache hit as saved cost only: no request, token, latency or GenAI series', async () => {
    const { prometheus, text } = sink();
    const { llm } = traceFixture(traceId);
    prometheus.llmCall({ ...llm, cache: { hit: true, ageSeconds: 5, savedUsd: 0.002, originTraceId: traceId } }, 'gcp.gemini', undefined);
    const metrics = await text();
    expect(metricValue(metrics, 'llm_cost_saved_usd_total', { model: 'gemini-2.5-flash' })).toBe(0.002);
    for (const name of ['llm_requests_total', 'llm_tokens_total', 'llm_cost_total', 'llm_latency_seconds_count', 'gen_ai_client_operation_duration_seconds_count']) {
      expect(seriesOf(metrics, name)).toEqual([]);
    }
  });

  it('times the first chunk of a streamed call in seconds, under the GenAI labels, with the trace exemplar', async () => {
    const { prometheus, text, openMetrics } = sink();
    const { llm } = traceFixture(traceId);
    prometheus.llmCall({ ...llm, timeToFirstChunkMs: 120 }, 'gcp.gemini', undefined);
    const labels = { gen_ai_operation_name: 'generate_content', gen_ai_provider_name: 'gcp.gemini', gen_ai_request_model: 'gemini-2.5-flash' };
    const sums = seriesOf(await text(), 'gen_ai_client_operation_time_to_first_chunk_seconds_sum');
    expect(sums.map(({ labels: seriesLabels, value }) => ({ labels: seriesLabels, value }))).toEqual([{ labels, value: 0.12 }]);
    expect(await openMetrics()).toMatch(
      new RegExp(`^gen_ai_client_operation_time_to_first_chunk_seconds_bucket\\{[^}]*le="0.16"[^}]*\\} 1 # \\{trace_id="${traceId}"\\} 0.12`, 'm'),
    );
  });

  it('records no first-chunk time for a call that did not stream', async () => {
    const { prometheus, text } = sink();
    prometheus.llmCall(traceFixture(traceId).llm, 'gcp.gemini', undefined);
    expect(seriesOf(await text(), 'gen_ai_client_operation_time_to_first_chunk_seconds_count')).toEqual([]);
  });

  it('times an agent run by agent and status with its trace exemplar', async () => {
    const { prometheus, text, openMetrics } = sink();
    prometheus.agentEnded('retriever', 'error', 0.2, traceId);
    expect(metricValue(await text(), 'agent_duration_seconds_sum', { agent: 'retriever', status: 'error' })).toBe(0.2);
    expect(await openMetrics()).toMatch(
      new RegExp(`^agent_duration_seconds_bucket\\{le="0.25",agent="retriever",status="error"\\} 1 # \\{trace_id="${traceId}"\\} 0.2`, 'm'),
    );
  });

  it('times a query only when both its prompt version and duration are known', async () => {
    const { prometheus, text } = sink();
    prometheus.query({ status: 'success', traceId, promptVersion: 2 });
    prometheus.query({ status: 'success', traceId, durationSeconds: 0.4 });
    const metrics = await text();
    expect(metricValue(metrics, 'query_requests_total', { status: 'success' })).toBe(2);
    expect(seriesOf(metrics, 'query_duration_seconds_count')).toEqual([]);
  });

  it('observes relevance only for a query that retrieved documents and measured it', async () => {
    const { prometheus, text } = sink();
    prometheus.query({ status: 'success', traceId, retrievedDocs: 0, averageRelevance: 0.5 });
    prometheus.query({ status: 'success', traceId, retrievedDocs: 3 });
    const metrics = await text();
    expect(metricValue(metrics, 'retrieval_documents_count')).toBe(2);
    expect(metricValue(metrics, 'retrieval_documents_sum')).toBe(3);
    expect(metricValue(metrics, 'retrieval_relevance_count')).toBe(0);
  });

  it('counts cache results, budget rejections, shared-state errors and batch items by their label', async () => {
    const { prometheus, text } = sink();
    prometheus.cacheResult('hit');
    prometheus.cacheResult('hit');
    prometheus.cacheResult('bypass');
    prometheus.budgetRejected('user');
    prometheus.sharedStateError('rate_limit');
    prometheus.batch({ batchId: 'batch-1', size: 5, succeeded: 4, failed: 1, itemLatenciesMs: [10, 20, 30, 40, 50] });
    const metrics = await text();
    expect(metricValue(metrics, 'llm_cache_requests_total', { result: 'hit' })).toBe(2);
    expect(metricValue(metrics, 'llm_cache_requests_total', { result: 'bypass' })).toBe(1);
    expect(metricValue(metrics, 'llm_cache_requests_total', { result: 'miss' })).toBe(0);
    expect(metricValue(metrics, 'budget_rejections_total', { scope: 'user' })).toBe(1);
    expect(metricValue(metrics, 'shared_state_errors_total', { component: 'rate_limit' })).toBe(1);
    expect(metricValue(metrics, 'batch_items_total', { status: 'ok' })).toBe(4);
    expect(metricValue(metrics, 'batch_items_total', { status: 'error' })).toBe(1);
    expect(metricValue(metrics, 'batch_size_sum')).toBe(5);
    expect(metricValue(metrics, 'batch_size_count')).toBe(1);
  });

  it('sets the service budget limit only when there is one, and always the spend', async () => {
    const limited = sink();
    limited.prometheus.serviceBudget(10, 2.5);
    const limitedMetrics = await limited.text();
    expect(metricValue(limitedMetrics, 'budget_limit_usd', { scope: 'service' })).toBe(10);
    expect(metricValue(limitedMetrics, 'budget_spent_usd', { scope: 'service' })).toBe(2.5);

    const unlimited = sink();
    unlimited.prometheus.serviceBudget(undefined, 1.25);
    const unlimitedMetrics = await unlimited.text();
    expect(seriesOf(unlimitedMetrics, 'budget_limit_usd')).toEqual([]);
    expect(metricValue(unlimitedMetrics, 'budget_spent_usd', { scope: 'service' })).toBe(1.25);
  });
});
