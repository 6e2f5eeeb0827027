import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFailureReporter } from '../../src/telemetry/support/failure-reporter.js';
import { createMetrics } from '../../src/telemetry/sinks/prometheus-registry.js';
import { metricValue } from '../helpers/metrics-text.js';

const warnings: Array<Record<string, unknown>> = [];
const logger = { warn: (fields: Record<string, unknown>) => void warnings.push(fields) };

beforeEach(() => {
  vi.useFakeTimers();
  warnings.length = 0;
});
afterEach(() => vi.useRealTimers());

describe('telemetry failure reporter', () => {
  it('counts every failure and drop but logs a failing sink once per interval, then says how many were held back', async () => {
    const metrics = createMetrics();
    const reporter = createFailureReporter(metrics, () => logger as never, 30_000);

    for (let i = 0; i < 100; i += 1) reporter.exportFailed('otlp', 5, 'ECONNREFUSED');
    reporter.exportFailed('loki', 2, 'timeout');
    expect(warnings.map((line) => line.sink)).toEqual(['otlp', 'loki']);

    vi.advanceTimersByTime(30_001);
    reporter.exportFailed('otlp', 5, 'ECONNREFUSED');
    expect(warnings).toHaveLength(3);
    expect(warnings[2]).toMatchObject({ sink: 'otlp', failures_since_last_log: 99 });

    const text = await metrics.registry.metrics();
    expect(metricValue(text, 'telemetry_export_failures_total', { sink: 'otlp' })).toBe(101);
    expect(metricValue(text, 'telemetry_dropped_total', { sink: 'otlp' })).toBe(505);
    expect(metricValue(text, 'telemetry_export_failures_total', { sink: 'loki' })).toBe(1);
  });
});
