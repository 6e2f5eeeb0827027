import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { OtlpExportProcessor } from '../../src/telemetry/sinks/otlp-export.js';
import { createMetrics } from '../../src/telemetry/sinks/prometheus-registry.js';
import { createFailureReporter } from '../../src/telemetry/support/failure-reporter.js';
import { pollUntil } from '../fakes/http-fake.js';
import { metricValue } from '../helpers/metrics-text.js';

/** An OTLP endpoint that reads each request and never answers; it records how many spans each carried. */
async function startHangingEndpoint() {
  const spansPerRequest: number[] = [];
  const server = createServer((request: IncomingMessage) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const parsed = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: unknown[] }> }> };
      spansPerRequest.push(parsed.resourceSpans.flatMap((resource) => resource.scopeSpans).reduce((sum, scope) => sum + scope.spans.length, 0));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
    spansPerRequest,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

describe('span queue (TELEMETRY_QUEUE_SIZE)', () => {
  it('holds at most the queue size while an export hangs, and counts every span beyond it as dropped', async () => {
    const endpoint = await startHangingEndpoint();
    const metrics = createMetrics();
    const reporter = createFailureReporter(metrics, () => undefined);
    const queueSize = 8;
    const processor = new OtlpExportProcessor({
      destinations: [{ sink: 'otlp', url: endpoint.url, accept: () => true, withContent: false }],
      maxQueueSize: queueSize,
      maxQueueBytes: 1024 * 1024,
      maxExportBatchSize: queueSize,
      scheduledDelayMillis: 60_000,
      timeoutMillis: 60_000,
      reporter,
      maskText: (text) => text,
    });
    const tracer = new BasicTracerProvider({ spanProcessors: [processor] }).getTracer('queue-test');
    const endSpans = (count: number) => {
      for (let i = 0; i < count; i += 1) tracer.startSpan(`span ${i}`).end();
    };
    const dropped = async () => metricValue(await metrics.plainTextRegistry.metrics(), 'telemetry_dropped_total', { sink: 'otlp' });
    try {
      // A full batch goes out at once and hangs; the next spans wait in the queue up to its size.
      endSpans(queueSize);
      await pollUntil(() => [...endpoint.spansPerRequest], (sizes) => sizes.length === 1, 5000, (sizes) => `requests so far: ${sizes.length}`);
      expect(endpoint.spansPerRequest).toEqual([queueSize]);
      endSpans(queueSize);
      expect(await dropped()).toBe(0);
      endSpans(5);
      expect(await dropped()).toBe(5);
      expect(endpoint.spansPerRequest).toEqual([queueSize]);
    } finally {
      endpoint.close();
    }
  });
});
