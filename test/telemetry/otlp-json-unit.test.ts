import type { SpanContext, TraceState } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { encodeSpan, writeTraceRequest } from '../../src/telemetry/sinks/otlp-json.js';
import { BufferWriter } from '../../src/telemetry/support/buffer-writer.js';

const traceState = (serialized: string) => ({ serialize: () => serialized }) as unknown as TraceState;
const traceId = '0af7651916cd43dd8448eb211c80319c';

/** A finished span with every field fixed, so the encoding can be compared byte for byte. */
function spanOf(fields: Partial<ReadableSpan> & { context?: Partial<SpanContext> }): ReadableSpan {
  const { context, ...rest } = fields;
  return {
    name: 'span',
    kind: 0,
    spanContext: () => ({ traceId, spanId: 'b7ad6b7169203331', traceFlags: 1, ...context }),
    parentSpanContext: undefined,
    startTime: [1, 5],
    endTime: [0, 7],
    status: { code: 0 },
    attributes: {},
    links: [],
    events: [],
    duration: [0, 2],
    ended: true,
    resource: { attributes: { 'service.name': 'researcherai' } },
    instrumentationScope: { name: 'scope-a', version: '1.0.0' },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
    ...rest,
  } as unknown as ReadableSpan;
}

function written(spans: ReadableSpan[], withContent: boolean): string {
  const writer = new BufferWriter(8);
  writeTraceRequest(writer, spans.map((span) => encodeSpan(span, (text) => text.replaceAll('secret', '***'))), withContent);
  return writer.bytes().toString('utf8');
}

describe('OTLP/JSON encoding, byte for byte', () => {
  it('writes every field of a span: kind, trace state, times, typed and empty values, events, links, flags', () => {
    const span = spanOf({
      name: 'generate secret',
      kind: 2,
      context: { traceState: traceState('vendor=1') },
      parentSpanContext: { traceId, spanId: '00f067aa0ba902b7', traceFlags: 1, isRemote: true },
      attributes: { list: ['a', 'secret'], missing: undefined, ratio: 0.5, ok: true, n: 3 },
      events: [
        { name: 'first', time: [2, 123], attributes: { step: 1 }, droppedAttributesCount: 3 },
        { name: 'second', time: [0, 9] },
      ],
      links: [
        { context: { traceId, spanId: '1111111111111111', traceFlags: 1, isRemote: false, traceState: traceState('k=v') }, attributes: { why: 'batch' }, droppedAttributesCount: 2 },
        { context: { traceId, spanId: '2222222222222222', traceFlags: 0 } },
      ],
      status: { code: 2, message: 'failed secret' },
      droppedAttributesCount: 4,
      droppedEventsCount: 5,
      droppedLinksCount: 6,
    });
    expect(written([span], false)).toBe(
      '{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"researcherai"}}],"droppedAttributesCount":0},' +
        '"scopeSpans":[{"scope":{"name":"scope-a","version":"1.0.0"},"spans":[' +
        `{"traceId":"${traceId}","spanId":"b7ad6b7169203331","parentSpanId":"00f067aa0ba902b7","traceState":"vendor=1",` +
        '"name":"generate secret","kind":3,"startTimeUnixNano":"1000000005","endTimeUnixNano":"7","attributes":[' +
        '{"key":"list","value":{"arrayValue":{"values":[{"stringValue":"a"},{"stringValue":"***"}]}}},{"key":"missing","value":{}},' +
        '{"key":"ratio","value":{"doubleValue":0.5}},{"key":"ok","value":{"boolValue":true}},{"key":"n","value":{"intValue":3}}' +
        '],"droppedAttributesCount":4,"events":[' +
        '{"attributes":[{"key":"step","value":{"intValue":1}}],"name":"first","timeUnixNano":"2000000123","droppedAttributesCount":3},' +
        '{"attributes":[],"name":"second","timeUnixNano":"9","droppedAttributesCount":0}' +
        '],"droppedEventsCount":5,"status":{"code":2,"message":"failed ***"},"links":[' +
        `{"attributes":[{"key":"why","value":{"stringValue":"batch"}}],"spanId":"1111111111111111","traceId":"${traceId}","traceState":"k=v","droppedAttributesCount":2,"flags":257},` +
        `{"attributes":[],"spanId":"2222222222222222","traceId":"${traceId}","droppedAttributesCount":0,"flags":256}` +
        '],"droppedLinksCount":6,"flags":769}]}]}]}',
    );
  });

  it('groups spans by resource, then by scope, with commas between groups and spans', () => {
    const otherResource = { attributes: { 'service.name': 'other' } };
    const scopeB = { name: 'scope-b', version: '2.0.0' };
    const spans = [
      spanOf({ name: 'a1' }),
      spanOf({ name: 'b1', instrumentationScope: scopeB }),
      spanOf({ name: 'r2', resource: otherResource as unknown as ReadableSpan['resource'] }),
      spanOf({ name: 'a2' }),
    ];
    const body = JSON.parse(written(spans, false)) as {
      resourceSpans: Array<{ resource: { attributes: unknown[] }; scopeSpans: Array<{ scope: unknown; spans: Array<{ name: string }> }> }>;
    };
    expect(
      body.resourceSpans.map(({ resource, scopeSpans }) => ({
        resource: resource.attributes,
        scopes: scopeSpans.map(({ scope, spans: list }) => ({ scope, names: list.map(({ name }) => name) })),
      })),
    ).toEqual([
      {
        resource: [{ key: 'service.name', value: { stringValue: 'researcherai' } }],
        scopes: [
          { scope: { name: 'scope-a', version: '1.0.0' }, names: ['a1', 'a2'] },
          { scope: { name: 'scope-b', version: '2.0.0' }, names: ['b1'] },
        ],
      },
      { resource: [{ key: 'service.name', value: { stringValue: 'other' } }], scopes: [{ scope: { name: 'scope-a', version: '1.0.0' }, names: ['r2'] }] },
    ]);
  });

  it('writes content after the other attributes, comma-separated, and sizes a span as exactly its JSON with content', () => {
    const withBoth = spanOf({ attributes: { n: 1, 'langfuse.observation.input': 'prompt', 'langfuse.observation.output': 'answer' } });
    const contentOnly = spanOf({ attributes: { 'langfuse.observation.input': 'prompt', 'langfuse.observation.output': 'answer' } });
    const attributesOf = (spans: ReadableSpan[], withContent: boolean) =>
      (JSON.parse(written(spans, withContent)) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ attributes: Array<{ key: string }> }> }> }> })
        .resourceSpans[0]!.scopeSpans[0]!.spans.map((span) => span.attributes.map(({ key }) => key));
    expect(attributesOf([withBoth, contentOnly], true)).toEqual([
      ['n', 'langfuse.observation.input', 'langfuse.observation.output'],
      ['langfuse.observation.input', 'langfuse.observation.output'],
    ]);
    expect(attributesOf([withBoth, contentOnly], false)).toEqual([['n'], []]);
    const wrapper = written([], true).length;
    for (const span of [withBoth, contentOnly]) {
      // One span alone: the request around it, plus exactly the bytes its size counts.
      const encoded = encodeSpan(span, (text) => text);
      expect(written([span], true).length - written([], true).length).toBe(
        encoded.size + '{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"researcherai"}}],"droppedAttributesCount":0},"scopeSpans":[{"scope":{"name":"scope-a","version":"1.0.0"},"spans":[]}]}'.length,
      );
    }
    expect(wrapper).toBe('{"resourceSpans":[]}'.length);
  });

  it('treats only the exact content keys as content', () => {
    const span = spanOf({
      attributes: {
        'gen_ai.input.messages': 'prompt',
        'x.gen_ai.input.messages': 'not content',
        'gen_ai.output.messages.count': 2,
        'langfuse.trace.output': 'answer',
      },
    });
    const keys = (withContent: boolean) =>
      (JSON.parse(written([span], withContent)) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ attributes: Array<{ key: string }> }> }> }> })
        .resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes.map(({ key }) => key);
    expect(keys(false)).toEqual(['x.gen_ai.input.messages', 'gen_ai.output.messages.count']);
    expect(keys(true)).toEqual(['x.gen_ai.input.messages', 'gen_ai.output.messages.count', 'gen_ai.input.messages', 'langfuse.trace.output']);
  });

  it('encodes a content attribute that is not a string (a list of messages) as the SDK does', () => {
    const span = spanOf({ attributes: { 'gen_ai.input.messages': ['system', 'user'], n: 1 } });
    const attributes = (JSON.parse(written([span], true)) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ attributes: unknown[] }> }> }> })
      .resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes;
    expect(attributes).toEqual([
      { key: 'n', value: { intValue: 1 } },
      { key: 'gen_ai.input.messages', value: { arrayValue: { values: [{ stringValue: 'system' }, { stringValue: 'user' }] } } },
    ]);
  });
});
