import { BasicTracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/telemetry/sinks/prometheus-registry.js';
import { BoundedBatchSpanProcessor } from '../../src/telemetry/sinks/span-export.js';
import { createFailureReporter } from '../../src/telemetry/support/failure-reporter.js';
import { metricValue } from '../helpers/metrics-text.js';

describe('span queue (TELEMETRY_QUEUE_SIZE)', () => {
  it('holds at most the queue size while an export hangs, and counts every span beyond it as dropped', async () => {
    const metrics = createMetrics();
    const reporter = createFailureReporter(metrics, () => undefined);
    const exported: number[] = [];
    const hanging: SpanExporter = {
      export: (spans, done) => {
        exported.push(spans.length);
        void done; // never answers
      },
      shutdown: async () => undefined,
    };
    const queueSize = 8;
    const processor = new BoundedBatchSpanProcessor(
      hanging,
      { maxQueueSize: queueSize, maxExportBatchSize: queueSize, scheduledDelayMillis: 60_000, exportTimeoutMillis: 60_000 },
      { onDropped: (count) => reporter.dropped('otlp', count) },
    );
    const tracer = new BasicTracerProvider({ spanProcessors: [processor] }).getTracer('queue-test');
    const endSpans = (count: number) => {
      for (let i = 0; i < count; i += 1) tracer.startSpan(`span ${i}`).end();
    };
    const dropped = async () => metricValue(await metrics.plainTextRegistry.metrics(), 'telemetry_dropped_total', { sink: 'otlp' });

    // A full batch goes out at once and hangs; the next spans wait in the queue up to its size.
    endSpans(queueSize);
    expect(exported).toEqual([queueSize]);
    endSpans(queueSize);
    expect(await dropped()).toBe(0);
    endSpans(5);
    expect(await dropped()).toBe(5);
    expect(exported).toEqual([queueSize]);
  });
});
