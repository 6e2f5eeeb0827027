import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/telemetry/sinks/prometheus-registry.js';

describe('metric registry formats', () => {
  it('keeps counter names in the text format after an OpenMetrics rendering renamed them in place', async () => {
    const metrics = createMetrics();
    metrics.llmRequests.inc({ model: 'm', status: 'success' });
    metrics.llmLatency.observe({ labels: { model: 'm' }, value: 0.2, exemplarLabels: { trace_id: 'a'.repeat(32) } });
    const before = await metrics.plainTextRegistry.metrics();
    const openMetrics = await metrics.registry.metrics();
    const after = await metrics.plainTextRegistry.metrics();
    const headers = (text: string) => text.split('\n').filter((line) => line.startsWith('# '));
    expect(headers(after)).toEqual(headers(before));
    expect(after).toMatch(/^# TYPE llm_requests_total counter$/m);
    expect(after).toMatch(/^llm_requests_total\{model="m",status="success"\} 1$/m);
    expect(after).not.toContain('# {trace_id=');
    expect(openMetrics).toMatch(/^# TYPE llm_requests counter$/m);
    expect(openMetrics).toMatch(/llm_latency_seconds_bucket\{le="0.25",model="m"\} 1 # \{trace_id="a{32}"\} 0.2 /);
  });
});
