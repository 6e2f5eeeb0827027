import { describe, expect, it } from 'vitest';
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
});
