import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { BasicTracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { OtlpExportProcessor, type OtlpDestination } from '../../src/telemetry/sinks/otlp-export.js';
import { encodeSpan } from '../../src/telemetry/sinks/otlp-json.js';
import { createMetrics } from '../../src/telemetry/sinks/prometheus-registry.js';
import { createFailureReporter } from '../../src/telemetry/support/failure-reporter.js';
import { pollUntil } from '../fakes/http-fake.js';
import { answerThenBreakOff } from '../helpers/broken-answer.js';
import { listenCountingConnections } from '../helpers/counting-server.js';
import { seriesValueOrZero } from '../helpers/metrics-text.js';
import { startFirstByteServer } from '../helpers/first-byte-server.js';

type Answer = number | 'reset' | 'hang' | 'break-off';
interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  spanNames: string[];
}

/** An OTLP/HTTP endpoint that answers each request with the next scripted answer (the last one repeats). */
async function startEndpoint(answers: Answer[]) {
  const received: Received[] = [];
  const server = createServer((request, response: ServerResponse) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const parsed = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ name: string }> }> }> };
      received.push({
        path: request.url ?? '',
        headers: request.headers,
        spanNames: parsed.resourceSpans.flatMap((resource) => resource.scopeSpans).flatMap((scope) => scope.spans.map((span) => span.name)),
      });
      const answer = answers[Math.min(received.length - 1, answers.length - 1)];
      if (answer === 'reset') request.socket.destroy();
      else if (answer === 'break-off') answerThenBreakOff(response, 200);
      else if (answer !== 'hang') response.writeHead(answer).end();
    });
  });
  const { base, connections } = await listenCountingConnections(server);
  return {
    base,
    received,
    connections,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function exporter(destinations: OtlpDestination[], options: { maxQueueSize?: number; maxQueueBytes?: number; maxExportBatchSize?: number; scheduledDelayMillis?: number; timeoutMillis?: number } = {}) {
  const metrics = createMetrics();
  const warnings: Array<{ fields: Record<string, unknown>; message: string }> = [];
  const logger = { warn: (fields: Record<string, unknown>, message: string) => warnings.push({ fields, message }) } as unknown as Logger;
  const processor = new OtlpExportProcessor({
    destinations,
    maxQueueSize: options.maxQueueSize ?? 100,
    maxQueueBytes: options.maxQueueBytes ?? 1024 * 1024,
    maxExportBatchSize: options.maxExportBatchSize ?? 100,
    scheduledDelayMillis: options.scheduledDelayMillis ?? 60_000,
    timeoutMillis: options.timeoutMillis ?? 5000,
    reporter: createFailureReporter(metrics, () => logger),
    maskText: (text) => text,
  });
  cleanups.push(() => processor.shutdown());
  const tracer = new BasicTracerProvider({ spanProcessors: [processor] }).getTracer('otlp-export-unit');
  const end = (...names: string[]) => names.forEach((name) => tracer.startSpan(name).end());
  const counted = async (name: string, sink: string) => seriesValueOrZero(await metrics.plainTextRegistry.metrics(), name, { sink });
  return { processor, tracer, end, counted, warnings };
}

async function endpoint(answers: Answer[]) {
  const started = await startEndpoint(answers);
  cleanups.push(started.close);
  return started;
}

const byName = (prefix: string) => (span: ReadableSpan) => span.name.startsWith(prefix);

describe('OTLP export processor', () => {
  it('posts each destination only the spans it accepts, with its headers, and nothing to a destination that accepts none', async () => {
    const jaeger = await endpoint([200]);
    const langfuse = await endpoint([200]);
    const nobody = await endpoint([200]);
    const { processor, end } = exporter([
      { sink: 'otlp', url: `${jaeger.base}/v1/traces`, accept: () => true, withContent: false },
      { sink: 'langfuse', url: `${langfuse.base}/api/public/otel/v1/traces`, headers: { authorization: 'Basic abc' }, accept: byName('llm'), withContent: true },
      { sink: 'langsmith', url: `${nobody.base}/v1/traces`, accept: () => false, withContent: false },
    ]);
    end('agent', 'llm call');
    await processor.forceFlush();
    expect(jaeger.received.map(({ path, spanNames }) => ({ path, spanNames }))).toEqual([{ path: '/v1/traces', spanNames: ['agent', 'llm call'] }]);
    expect(langfuse.received.map(({ path, spanNames }) => ({ path, spanNames }))).toEqual([{ path: '/api/public/otel/v1/traces', spanNames: ['llm call'] }]);
    const headers = langfuse.received[0]!.headers;
    expect(headers.authorization).toBe('Basic abc');
    expect(headers['content-type']).toBe('application/json');
    expect(Number(headers['content-length'])).toBeGreaterThan(0);
    expect(jaeger.received[0]!.headers.authorization).toBeUndefined();
    expect(nobody.received).toEqual([]);
  });

  it('exports again after a flush, over the one connection it keeps, and closes it at shutdown', async () => {
    const jaeger = await endpoint([200]);
    const { processor, end } = exporter([{ sink: 'otlp', url: jaeger.base, accept: () => true, withContent: false }]);
    end('first');
    await processor.forceFlush();
    end('second');
    await processor.forceFlush();
    expect(jaeger.received.map(({ spanNames }) => spanNames)).toEqual([['first'], ['second']]);
    expect([jaeger.connections.opened, jaeger.connections.open]).toEqual([1, 1]);
    await processor.shutdown();
    await pollUntil(() => jaeger.connections.open, (open) => open === 0, 1000, (open) => `open connections: ${open}`);
  });

  it('sends a partial batch once the scheduled delay has passed, without a flush', async () => {
    const jaeger = await endpoint([200]);
    const { end } = exporter([{ sink: 'otlp', url: jaeger.base, accept: () => true, withContent: false }], { scheduledDelayMillis: 5 });
    end('waiting');
    await pollUntil(() => jaeger.received.length, (count) => count === 1, 5000, (count) => `requests: ${count}`);
    expect(jaeger.received.map(({ spanNames }) => spanNames)).toEqual([['waiting']]);
  });

  it('sends a full batch at once and splits the queue into batches of the batch size', async () => {
    const jaeger = await endpoint([200]);
    const { processor, end } = exporter([{ sink: 'otlp', url: jaeger.base, accept: () => true, withContent: false }], { maxExportBatchSize: 2 });
    end('a', 'b');
    await pollUntil(() => jaeger.received.length, (count) => count === 1, 5000, (count) => `requests: ${count}`);
    end('c', 'd', 'e');
    await processor.forceFlush();
    expect(jaeger.received.map(({ spanNames }) => spanNames)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('skips unsampled spans and spans ended after shutdown', async () => {
    const jaeger = await endpoint([200]);
    const { processor, tracer, end } = exporter([{ sink: 'otlp', url: jaeger.base, accept: () => true, withContent: false }]);
    const span = tracer.startSpan('unsampled');
    span.end();
    const context = span.spanContext();
    processor.onEnd(Object.assign(Object.create(span) as ReadableSpan, { spanContext: () => ({ ...context, traceFlags: 0 }) }));
    await processor.forceFlush();
    // The real span reached onEnd sampled and went out; the unsampled copy did not.
    expect(jaeger.received.map(({ spanNames }) => spanNames)).toEqual([['unsampled']]);
    await processor.shutdown();
    end('late');
    await processor.forceFlush();
    expect(jaeger.received).toHaveLength(1);
  });

  it('drops spans beyond the queue size, counted only for the destinations that would have taken them', async () => {
    const { end, counted } = exporter(
      [
        { sink: 'otlp', url: 'http://127.0.0.1:9/v1/traces', accept: () => true, withContent: false },
        { sink: 'langfuse', url: 'http://127.0.0.1:9/v1/traces', accept: byName('llm'), withContent: true },
      ],
      { maxQueueSize: 0 },
    );
    end('agent', 'llm call', 'llm call');
    expect(await counted('telemetry_dropped_total', 'otlp')).toBe(3);
    expect(await counted('telemetry_dropped_total', 'langfuse')).toBe(2);
  });

  it('drops spans beyond the queue’s size in bytes, and takes them again once a batch went out', async () => {
    const jaeger = await endpoint([200]);
    const { processor, tracer, counted } = exporter([{ sink: 'otlp', url: jaeger.base, accept: () => true, withContent: true }], { maxQueueBytes: 45_000 });
    // Three bytes a character: a bound counted in characters would take 'big 2' too.
    const endWithInput = (name: string, characters: number) =>
      tracer.startSpan(name, { attributes: { 'langfuse.observation.input': '€'.repeat(characters) } }).end();
    endWithInput('big 1', 10_000);
    endWithInput('big 2', 10_000);
    endWithInput('small', 10);
    expect(await counted('telemetry_dropped_total', 'otlp')).toBe(1);
    await processor.forceFlush();
    endWithInput('big 3', 10_000);
    await processor.forceFlush();
    expect(jaeger.received.map(({ spanNames }) => spanNames)).toEqual([['big 1', 'small'], ['big 3']]);
    expect(await counted('telemetry_dropped_total', 'otlp')).toBe(1);
  });

  it('never queues a span no destination takes, so it cannot crowd out one that is taken', async () => {
    const jaeger = await endpoint([200]);
    const { processor, end, counted } = exporter([{ sink: 'otlp', url: jaeger.base, accept: (span) => span.name === 'kept', withContent: false }], { maxQueueSize: 2 });
    end('skipped', 'skipped', 'skipped', 'kept');
    await processor.forceFlush();
    expect(jaeger.received.map(({ spanNames }) => spanNames)).toEqual([['kept']]);
    expect(await counted('telemetry_dropped_total', 'otlp')).toBe(0);
  });

  it('takes spans up to exactly its size in bytes, and not one byte more', async () => {
    // The encoded size of a span like the ones below, measured by encoding one.
    const ended: ReadableSpan[] = [];
    const probe = new BasicTracerProvider({ spanProcessors: [{ onStart: () => {}, onEnd: (span) => ended.push(span), forceFlush: async () => {}, shutdown: async () => {} }] });
    probe.getTracer('otlp-export-unit').startSpan('sized', { attributes: { 'langfuse.observation.input': 'x'.repeat(500) } }).end();
    const size = encodeSpan(ended[0]!, (text) => text).size;
    for (const [bound, dropped] of [[2 * size, 0], [2 * size - 1, 1]] as const) {
      const jaeger = await endpoint([200]);
      const { processor, tracer, counted } = exporter([{ sink: 'otlp', url: jaeger.base, accept: () => true, withContent: true }], { maxQueueBytes: bound });
      for (let n = 0; n < 2; n += 1) tracer.startSpan('sized', { attributes: { 'langfuse.observation.input': 'x'.repeat(500) } }).end();
      expect(await counted('telemetry_dropped_total', 'otlp')).toBe(dropped);
      await processor.forceFlush();
      expect(jaeger.received.flatMap(({ spanNames }) => spanNames)).toHaveLength(2 - dropped);
    }
  });

  it('counts a refused export (4xx) once, with its spans, without retrying it', async () => {
    const jaeger = await endpoint([400]);
    const { processor, end, counted, warnings } = exporter([{ sink: 'otlp', url: jaeger.base, accept: () => true, withContent: false }]);
    end('a', 'b');
    await processor.forceFlush();
    expect(jaeger.received).toHaveLength(1);
    expect(await counted('telemetry_export_failures_total', 'otlp')).toBe(1);
    expect(await counted('telemetry_dropped_total', 'otlp')).toBe(2);
    expect(warnings).toEqual([{ fields: { sink: 'otlp', dropped: 2, reason: 'OTLP export answered 400', failures_since_last_log: 0 }, message: 'telemetry export failed' }]);
  });

  it('treats a 3xx answer as a failure', async () => {
    const jaeger = await endpoint([300]);
    const { processor, end, warnings } = exporter([{ sink: 'otlp', url: jaeger.base, accept: () => true, withContent: false }]);
    end('a');
    await processor.forceFlush();
    expect(warnings.map(({ fields }) => fields.reason)).toEqual(['OTLP export answered 300']);
  });

  it('retries a 503 and a reset connection, and succeeds on the third attempt', async () => {
    const jaeger = await endpoint([503, 'reset', 200]);
    const { processor, end, counted } = exporter([{ sink: 'otlp', url: jaeger.base, accept: () => true, withContent: false }]);
    end('a');
    await processor.forceFlush();
    expect(jaeger.received.map(({ spanNames }) => spanNames)).toEqual([['a'], ['a'], ['a']]);
    expect(await counted('telemetry_export_failures_total', 'otlp')).toBe(0);
  });

  it('retries an answer that breaks off mid-body', async () => {
    const jaeger = await endpoint(['break-off', 200]);
    const { processor, end, counted } = exporter([{ sink: 'otlp', url: jaeger.base, accept: () => true, withContent: false }]);
    end('a');
    await processor.forceFlush();
    expect(jaeger.received.map(({ spanNames }) => spanNames)).toEqual([['a'], ['a']]);
    expect(await counted('telemetry_export_failures_total', 'otlp')).toBe(0);
  });

  it('gives up after two retries of a 429', async () => {
    const jaeger = await endpoint([429]);
    const { processor, end, counted } = exporter([{ sink: 'otlp', url: jaeger.base, accept: () => true, withContent: false }]);
    end('a');
    await processor.forceFlush();
    expect(jaeger.received).toHaveLength(3);
    expect(await counted('telemetry_export_failures_total', 'otlp')).toBe(1);
  });

  it('does not retry a destination that does not answer within the timeout', async () => {
    const jaeger = await endpoint(['hang']);
    const { processor, end, counted, warnings } = exporter([{ sink: 'otlp', url: jaeger.base, accept: () => true, withContent: false }], { timeoutMillis: 50 });
    end('a');
    await processor.forceFlush();
    expect(jaeger.received).toHaveLength(1);
    expect(await counted('telemetry_dropped_total', 'otlp')).toBe(1);
    expect(warnings.map(({ fields }) => fields.reason)).toEqual(['OTLP export timed out after 50 ms']);
  });

  it('speaks TLS to an https destination', async () => {
    const tcp = await startFirstByteServer();
    cleanups.push(tcp.close);
    const url = `https://127.0.0.1:${tcp.port}/v1/traces`;
    const { processor, end, counted } = exporter([{ sink: 'otlp', url, accept: () => true, withContent: false }], { timeoutMillis: 2000 });
    end('a');
    await processor.forceFlush();
    // 0x16: a TLS handshake record (the ClientHello), on each of the three attempts.
    expect(tcp.firstBytes).toEqual([0x16, 0x16, 0x16]);
    expect(await counted('telemetry_export_failures_total', 'otlp')).toBe(1);
  });
});
