import { describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { startTelemetry } from '../../src/telemetry/index.js';

describe('telemetry after shutdown', () => {
  it('still counts a sink failure reported after the logger closed, without throwing', async () => {
    const telemetry = startTelemetry(loadConfig({ LOG_LEVEL: 'info' }));
    await telemetry.shutdown(2000);
    expect(() => telemetry.reporter.exportFailed('langsmith', 3, 'late failure')).not.toThrow();
    const text = await telemetry.metrics.registry.metrics();
    expect(text).toMatch(/telemetry_export_failures_total\{sink="langsmith"\} 1/);
    expect(text).toMatch(/telemetry_dropped_total\{sink="langsmith"\} 3/);
  });

  it('logs a sink failure while its own logger is open, and no longer once shutdown closed it', async () => {
    const telemetry = startTelemetry(loadConfig({ LOG_LEVEL: 'silent' }));
    const warnings = vi.spyOn(telemetry.logger, 'warn');
    telemetry.reporter.exportFailed('langsmith', 1, 'before shutdown');
    await telemetry.shutdown(2000);
    telemetry.reporter.exportFailed('otlp', 1, 'after shutdown');
    expect(warnings.mock.calls).toEqual([[{ sink: 'langsmith', dropped: 1, reason: 'before shutdown', failures_since_last_log: 0 }, 'telemetry export failed']]);
    expect(await telemetry.metrics.registry.metrics()).toMatch(/telemetry_export_failures_total\{sink="otlp"\} 1/);
  });
});
