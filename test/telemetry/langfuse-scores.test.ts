import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScoreSink } from '../../src/telemetry/sinks/langfuse-scores.js';
import { createMetrics } from '../../src/telemetry/sinks/prometheus-registry.js';
import { createFailureReporter } from '../../src/telemetry/support/failure-reporter.js';
import { startLangfuseFake, type LangfuseFake } from '../fakes/langfuse.js';
import { metricValue } from '../helpers/metrics-text.js';

let langfuse: LangfuseFake;
beforeAll(async () => {
  langfuse = await startLangfuseFake();
});
afterAll(() => langfuse?.close());

describe('LangFuse score sink', () => {
  it('keeps at most 1000 scores pending while LangFuse hangs, and counts each one refused beyond that', async () => {
    await langfuse.setMode('hang');
    const metrics = createMetrics();
    const scores = createScoreSink(
      { publicKey: 'pk-lf-test', secretKey: 'sk-lf-test', baseUrl: langfuse.url },
      60_000,
      createFailureReporter(metrics, () => undefined),
    );
    const counted = async (name: string) => metricValue(await metrics.plainTextRegistry.metrics(), name, { sink: 'langfuse' });
    const score = (index: number) => ({ id: `score-${index}`, traceId: index.toString(16).padStart(32, '0'), name: 'user-feedback', value: 1 });

    for (let i = 0; i < 1000; i += 1) scores.record(score(i));
    expect(await counted('telemetry_dropped_total')).toBe(0);
    scores.record(score(1000));
    scores.record(score(1001));
    expect(await counted('telemetry_dropped_total')).toBe(2);
    expect(await counted('telemetry_export_failures_total')).toBe(2);
  });
});
