import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from './otlp.js';

type ExporterConfig = NonNullable<ConstructorParameters<typeof OTLPTraceExporter>[0]>;

let receiver: OtlpReceiver;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(() => receiver.close());
beforeEach(async () => {
  receiver.reset();
  await receiver.setMode('ok');
});

function exporter(config: ExporterConfig = {}) {
  return new OTLPTraceExporter({ url: `${receiver.url}/v1/traces`, timeoutMillis: 1000, ...config });
}

/** Records two nested spans through the OTel SDK and exports them with `otlp`. */
async function traceWith(otlp: OTLPTraceExporter): Promise<void> {
  const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(otlp, { scheduledDelayMillis: 10 })] });
  const tracer = provider.getTracer('fake-test-scope');
  // No context manager is registered here, so the parent is passed explicitly.
  const parent = tracer.startSpan('invoke_agent researcher', { kind: SpanKind.INTERNAL });
  const child = tracer.startSpan(
    'generate_content gemini-2.5-flash',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.request.model': 'gemini-2.5-flash',
        'gen_ai.usage.input_tokens': 1200,
        'gen_ai.request.temperature': 0.2,
        'gen_ai.request.stream': false,
        'gen_ai.response.finish_reasons': ['stop'],
      },
    },
    trace.setSpan(context.active(), parent),
  );
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'overloaded' });
  child.addEvent('retry', { attempt: 1 });
  child.end();
  parent.end();
  await provider.shutdown();
}

/** Captures finished spans in memory so a test can push them through an exporter by hand. */
function recordSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  provider.getTracer('manual').startSpan('manual span').end();
  return memory.getFinishedSpans();
}

function exportOnce(otlp: OTLPTraceExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => otlp.export(spans, resolve));
}

describe('OTLP receiver with @opentelemetry/exporter-trace-otlp-http', () => {
  it('decodes JSON exports into flat spans with hex ids, typed attributes, status, scope and resource', async () => {
    await traceWith(exporter());
    const spans = await receiver.waitForSpans((s) => s.length === 2);
    const parent = spans.find((s) => s.name === 'invoke_agent researcher');
    const child = spans.find((s) => s.name.startsWith('generate_content'));

    expect(parent?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(parent?.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(parent?.parentSpanId).toBeUndefined();
    expect(child?.traceId).toBe(parent?.traceId);
    expect(child?.parentSpanId).toBe(parent?.spanId);
    expect(child?.kind).toBe(3);
    expect(child?.attributes).toEqual({
      'gen_ai.request.model': 'gemini-2.5-flash',
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.stream': false,
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(child?.status).toEqual({ code: 2, message: 'overloaded' });
    expect(child?.events).toEqual([expect.objectContaining({ name: 'retry', attributes: { attempt: 1 } })]);
    expect(child?.scope).toBe('fake-test-scope');
    expect(child?.resource['service.name']).toEqual(expect.any(String));
    expect(BigInt(child?.endTimeUnixNano ?? 0)).toBeGreaterThanOrEqual(BigInt(child?.startTimeUnixNano ?? 0));
  });

  it('accepts gzip-compressed exports', async () => {
    await traceWith(exporter({ compression: 'gzip' as ExporterConfig['compression'] }));
    await receiver.waitForSpans((s) => s.length === 2);
    expect(receiver.requests[0]?.headers['content-encoding']).toBe('gzip');
  });

  it('decodes base64 ids (proto3 JSON mapping) and keeps protobuf exports raw', async () => {
    const traceId = Buffer.from('0123456789abcdef0123456789abcdef', 'hex').toString('base64');
    const spanId = Buffer.from('0123456789abcdef', 'hex').toString('base64');
    const span = { traceId, spanId, name: 'b64', kind: 1, startTimeUnixNano: '1', endTimeUnixNano: '2' };
    const json = { resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] };
    const post = (contentType: string, body: string | Buffer) =>
      fetch(`${receiver.url}/v1/traces`, { method: 'POST', headers: { 'content-type': contentType }, body });

    expect((await post('application/json', JSON.stringify(json))).status).toBe(200);
    expect((await post('application/x-protobuf', Buffer.from([0x0a, 0x00]))).status).toBe(200);

    expect(receiver.spans()[0]).toMatchObject({ traceId: '0123456789abcdef0123456789abcdef', spanId: '0123456789abcdef' });
    expect(receiver.protobufExports).toEqual([Buffer.from([0x0a, 0x00])]);
  });

  it('waitForSpans rejects with the span names that did arrive', async () => {
    await traceWith(exporter());
    await expect(receiver.waitForSpans((s) => s.some((span) => span.name === 'missing'), 200)).rejects.toThrow(
      /invoke_agent researcher/,
    );
  });

  it('fails exports in fail mode and refuses them when down, then recovers on the same port', async () => {
    const spans = recordSpans();
    const otlp = exporter();

    await receiver.setMode('fail');
    expect((await exportOnce(otlp, spans)).code).toBe(ExportResultCode.FAILED);
    expect(receiver.requests.at(-1)?.status).toBe(500);

    await receiver.setMode('down');
    // ECONNREFUSED is retried inside the exporter's 1 s budget, then reported as failed.
    expect((await exportOnce(exporter({ timeoutMillis: 300 }), spans)).code).toBe(ExportResultCode.FAILED);

    await receiver.setMode('ok');
    expect((await exportOnce(otlp, spans)).code).toBe(ExportResultCode.SUCCESS);
    expect(receiver.spans().map((s) => s.name)).toEqual(['manual span']);
    await otlp.shutdown();
  });
});
