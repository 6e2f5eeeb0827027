import { describe, expect, it } from 'vitest';
import type { Logger } from 'pino';
import { createMetrics } from '../../src/telemetry/sinks/prometheus-registry.js';
import { createFailureReporter } from '../../src/telemetry/support/failure-reporter.js';
import { metricValue } from '../helpers/metrics-text.js';

// A sink whose own code threw: counted per sink, and logged once per interval with the reason.
describe('internal telemetry errors', () => {
  it('are counted under the sink and logged with the reason, whatever was thrown', async () => {
    const metrics = createMetrics();
    const warnings: Array<[Record<string, unknown>, string]> = [];
    const logger = { warn: (fields: Record<string, unknown>, message: string) => void warnings.push([fields, message]) } as unknown as Logger;
    const reporter = createFailureReporter(metrics, () => logger);
    reporter.internalError('langfuse', new Error('mapping bug'));
    reporter.internalError('logs', 'plain text');
    const text = await metrics.plainTextRegistry.metrics();
    expect(metricValue(text, 'telemetry_internal_errors_total', { sink: 'langfuse' })).toBe(1);
    expect(metricValue(text, 'telemetry_internal_errors_total', { sink: 'logs' })).toBe(1);
    expect(metricValue(text, 'telemetry_internal_errors_total', { sink: 'tracing' })).toBe(0);
    expect(warnings).toEqual([
      [{ sink: 'langfuse', reason: 'mapping bug', failures_since_last_log: 0 }, 'telemetry sink failed; the request went on'],
      [{ sink: 'logs', reason: 'plain text', failures_since_last_log: 0 }, 'telemetry sink failed; the request went on'],
    ]);
  });

  it('are still counted, and the request goes on, when there is no logger', async () => {
    const metrics = createMetrics();
    const reporter = createFailureReporter(metrics, () => undefined);
    expect(() => reporter.internalError('tracing', new Error('bug'))).not.toThrow();
    expect(metricValue(await metrics.plainTextRegistry.metrics(), 'telemetry_internal_errors_total', { sink: 'tracing' })).toBe(1);
  });
});
