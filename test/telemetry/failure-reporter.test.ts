import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFailureReporter } from '../../src/telemetry/support/failure-reporter.js';
import { createMetrics } from '../../src/telemetry/sinks/prometheus-registry.js';
import { metricValue } from '../helpers/metrics-text.js';

const warnings: Array<Record<string, unknown>> = [];
const logger = { warn: (fields: Record<string, unknown>, msg: string) => void warnings.push({ ...fields, msg }) };

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

  it('logs a sink again exactly one interval after its last warning, with what it held back', () => {
    const reporter = createFailureReporter(createMetrics(), () => logger as never, 30_000);
    vi.setSystemTime(1_000_000);
    reporter.exportFailed('langfuse', 1, 'HTTP 500');
    vi.setSystemTime(1_029_999);
    reporter.exportFailed('langfuse', 1, 'HTTP 500');
    expect(warnings).toHaveLength(1);
    vi.setSystemTime(1_030_000);
    reporter.exportFailed('langfuse', 0, 'timeout');
    expect(warnings).toEqual([
      { sink: 'langfuse', dropped: 1, reason: 'HTTP 500', failures_since_last_log: 0, msg: 'telemetry export failed' },
      { sink: 'langfuse', dropped: 0, reason: 'timeout', failures_since_last_log: 1, msg: 'telemetry export failed' },
    ]);
  });

  it('counts a drop without an export failure, and ignores a drop of nothing', async () => {
    const metrics = createMetrics();
    const reporter = createFailureReporter(metrics, () => logger as never);
    reporter.dropped('langsmith', 3);
    reporter.dropped('langsmith', 0);
    const text = await metrics.registry.metrics();
    expect(metricValue(text, 'telemetry_dropped_total', { sink: 'langsmith' })).toBe(3);
    expect(metricValue(text, 'telemetry_export_failures_total', { sink: 'langsmith' })).toBe(0);
    expect(warnings).toEqual([]);
  });
});
