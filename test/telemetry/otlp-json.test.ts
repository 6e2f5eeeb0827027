import { ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { encodeSpan, writeTraceRequest } from '../../src/telemetry/sinks/otlp-json.js';
import { BufferWriter } from '../../src/telemetry/support/buffer-writer.js';

function endedSpans() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('langfuse-sdk', '5.11.1');
  const parent = tracer.startSpan('invoke_agent reasoner', {
    attributes: { 'gen_ai.agent.name': 'reasoner' },
    links: [{ context: { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1, isRemote: true }, attributes: { 'link.kind': 'batch' } }],
  });
  const child = tracer.startSpan('generate_content gemini-2.5-flash', {
    attributes: {
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.usage.cost': 0.001306,
      'gen_ai.request.stream': false,
      'gen_ai.response.finish_reasons': ['stop'],
      'langfuse.observation.input': JSON.stringify([{ role: 'user', content: 'RAG – "quoted" sk-SECRET1234 ✓' }]),
    },
  }, trace.setSpan(ROOT_CONTEXT, parent));
  child.addEvent('llm.attempt_failed', { attempt: 1, 'error.type': 'server_error' });
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream sk-SECRET1234 failed' });
  child.end();
  parent.end();
  return exporter.getFinishedSpans();
}

const attributesOf = (span: { attributes: Array<{ key: string; value: Record<string, unknown> }> }) =>
  Object.fromEntries(span.attributes.map(({ key, value }) => [key, value]));

function request(withContent: boolean, mask = (text: string) => text) {
  const writer = new BufferWriter(16);
  writeTraceRequest(writer, endedSpans().map((span) => encodeSpan(span, mask)), withContent);
  return JSON.parse(writer.bytes().toString('utf8'));
}

describe('OTLP/JSON encoding', () => {
  it('writes the request the OTLP/JSON schema describes: ids in hex, times in decimal nanoseconds, typed values', () => {
    const body = request(true);
    const [scopeSpans] = body.resourceSpans[0].scopeSpans;
    expect(scopeSpans.scope).toEqual({ name: 'langfuse-sdk', version: '5.11.1' });
    const [generation, agent] = scopeSpans.spans;
    expect(generation.name).toBe('generate_content gemini-2.5-flash');
    expect(generation.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(generation.parentSpanId).toBe(agent.spanId);
    expect(agent.parentSpanId).toBeUndefined();
    expect(generation.startTimeUnixNano).toMatch(/^\d{19}$/);
    expect(BigInt(generation.endTimeUnixNano) >= BigInt(generation.startTimeUnixNano)).toBe(true);
    expect(attributesOf(generation)).toMatchObject({
      'gen_ai.usage.input_tokens': { intValue: 1200 },
      'gen_ai.usage.cost': { doubleValue: 0.001306 },
      'gen_ai.request.stream': { boolValue: false },
      'gen_ai.response.finish_reasons': { arrayValue: { values: [{ stringValue: 'stop' }] } },
    });
    expect(generation.events[0]).toMatchObject({ name: 'llm.attempt_failed', attributes: [{ key: 'attempt', value: { intValue: 1 } }, expect.anything()] });
    expect(generation.status).toEqual({ code: SpanStatusCode.ERROR, message: 'upstream sk-SECRET1234 failed' });
    expect(agent.links).toEqual([
      { attributes: [{ key: 'link.kind', value: { stringValue: 'batch' } }], spanId: 'b'.repeat(16), traceId: 'a'.repeat(32), droppedAttributesCount: 0, flags: 0x301 },
    ]);
    expect(generation.links).toEqual([]);
    expect(body.resourceSpans[0].resource.attributes.length).toBeGreaterThan(0);
  });

  it('keeps prompt and answer text for the destination that takes content, and leaves it out of the other view', () => {
    const input = attributesOf(request(true).resourceSpans[0].scopeSpans[0].spans[0])['langfuse.observation.input'];
    expect(JSON.parse((input as { stringValue: string }).stringValue)[0].content).toBe('RAG – "quoted" sk-SECRET1234 ✓');
    const withoutContent = request(false).resourceSpans[0].scopeSpans[0].spans[0];
    expect(Object.keys(attributesOf(withoutContent))).not.toContain('langfuse.observation.input');
    expect(Object.keys(attributesOf(withoutContent))).toContain('gen_ai.usage.input_tokens');
  });

  it('masks every string it writes: attributes, events and the status message', () => {
    const text = JSON.stringify(request(true, (value) => value.replaceAll(/sk-\w+/g, '[REDACTED]')));
    expect(text).not.toContain('sk-SECRET1234');
    expect(text.match(/\[REDACTED\]/g)).toHaveLength(2);
  });
});

describe('BufferWriter', () => {
  it('appends UTF-8 beyond its first capacity and starts over on reset', () => {
    const writer = new BufferWriter(4);
    const pieces = ['ascii ', 'dash – ', 'emoji 🚀 ', 'x'.repeat(5000)];
    for (const piece of pieces) writer.write(piece);
    expect(writer.bytes().equals(Buffer.from(pieces.join('')))).toBe(true);
    writer.reset().write('again');
    expect(writer.bytes().toString('utf8')).toBe('again');
  });
});
