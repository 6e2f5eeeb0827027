import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { Latin1JsonExporter } from '../../src/telemetry/span-export.js';

function capture(): SpanExporter & { spans: ReadableSpan[] } {
  const spans: ReadableSpan[] = [];
  return {
    spans,
    export(batch: ReadableSpan[], done: (result: ExportResult) => void) {
      spans.push(...batch);
      done({ code: ExportResultCode.SUCCESS });
    },
    shutdown: () => Promise.resolve(),
  };
}

const span = (attributes: ReadableSpan['attributes']) => ({ name: 'generation', attributes }) as unknown as ReadableSpan;

describe('Latin1JsonExporter', () => {
  it('spells characters above U+00FF in JSON input and output as escapes that parse to the same text', () => {
    const inner = capture();
    const input = JSON.stringify([{ role: 'user', content: 'RAG — retrieval 🔎, café' }]);
    const original = span({ 'langfuse.observation.input': input, 'langfuse.observation.output': '{"content":"ok"}' });
    new Latin1JsonExporter(inner).export([original], () => undefined);

    const exported = inner.spans[0]?.attributes['langfuse.observation.input'] as string;
    expect(exported).toContain('\\u2014');
    expect(exported).not.toMatch(/[^\u0000-\u00ff]/);
    expect(JSON.parse(exported)).toEqual(JSON.parse(input));
    // The other processor still reads the original span.
    expect(original.attributes['langfuse.observation.input']).toBe(input);
  });

  it('leaves plain-text values, other attributes and Latin-1 content untouched', () => {
    const inner = capture();
    const untouched = span({ 'langfuse.observation.input': 'plain — text', 'gen_ai.request.model': 'm — x', 'langfuse.observation.output': '{"a":"é"}' });
    new Latin1JsonExporter(inner).export([untouched], () => undefined);
    expect(inner.spans[0]).toBe(untouched);
  });
});
