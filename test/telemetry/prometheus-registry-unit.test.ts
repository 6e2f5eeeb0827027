import { describe, expect, it } from 'vitest';
import { createMetrics, llmLatencyBuckets } from '../../src/telemetry/sinks/prometheus-registry.js';
import { metricValue, parseSamples } from '../helpers/metrics-text.js';

// The registry's fixed shape: histogram boundaries, series that exist before the first event, and the
// default Node metrics it drops.
const boundsOf = (text: string, name: string) =>
  parseSamples(text)
    .filter((sample) => sample.name === `${name}_bucket`)
    .map((sample) => sample.labels.le);

describe('Prometheus registry', () => {
  it('keeps the chapter latency buckets up to a 30 s call, and doubles past it only for a longer one', () => {
    const chapter = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];
    expect(llmLatencyBuckets(29.9)).toEqual(chapter);
    expect(llmLatencyBuckets(30)).toEqual([...chapter, 60]);
    expect(llmLatencyBuckets(61)).toEqual([...chapter, 60, 120]);
  });

  it('gives each histogram its documented buckets', async () => {
    const metrics = createMetrics();
    metrics.httpDuration.observe({ labels: { route: '/api/query', method: 'POST', status_code: '200' }, value: 0.1 });
    metrics.agentDuration.observe({ labels: { agent: 'retriever', status: 'success' }, value: 0.1 });
    metrics.retrievalRelevance.observe(0.5);
    metrics.retrievalDocuments.observe(3);
    const text = await metrics.plainTextRegistry.metrics();
    expect(boundsOf(text, 'http_request_duration_seconds')).toEqual(['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf']);
    expect(boundsOf(text, 'agent_duration_seconds')).toEqual(['0.001', '0.005', '0.01', '0.05', '0.1', '0.25', '0.5', '1', '2', '5', '10', '+Inf']);
    expect(boundsOf(text, 'retrieval_relevance')).toEqual(['0.1', '0.2', '0.3', '0.4', '0.5', '0.6', '0.7', '0.8', '0.9', '1', '+Inf']);
    expect(boundsOf(text, 'retrieval_documents')).toEqual(['0', '1', '2', '3', '5', '8', '10', '15', '20', '+Inf']);
  });

  it('starts every cache result and batch status at zero, before any event', async () => {
    const text = await createMetrics().plainTextRegistry.metrics();
    for (const result of ['hit', 'miss', 'bypass', 'error']) expect(metricValue(text, 'llm_cache_requests_total', { result })).toBe(0);
    for (const status of ['ok', 'error']) expect(metricValue(text, 'batch_items_total', { status })).toBe(0);
  });

  it('drops the default Node gauges named *_total and keeps the other default metrics', async () => {
    const text = await createMetrics().registry.metrics();
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      expect(text).not.toContain(`# TYPE ${name} `);
    }
    expect(text).toContain('# TYPE nodejs_active_handles gauge');
  });
});
