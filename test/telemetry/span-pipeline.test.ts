import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { BasicTracerProvider, type ReadableSpan, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  BoundedBatchSpanProcessor,
  ContentStrippingExporter,
  CountingExporter,
  RedactingExporter,
} from '../../src/telemetry/sinks/span-export.js';
import { createRedactor } from '../../src/telemetry/support/redact.js';

// The span export pipeline piece by piece: batching and its timer, failure counting, content stripping and
// masking on copies. Exporters here are in-memory; timers are faked where the schedule is the point.
afterEach(() => {
  vi.useRealTimers();
});

/** An exporter that keeps every batch and answers each export with `result` (or not at all). */
function memoryExporter(result: ExportResult | 'never' = { code: ExportResultCode.SUCCESS }) {
  const batches: ReadableSpan[][] = [];
  const calls = { shutdown: 0, forceFlush: 0 };
  const exporter: SpanExporter = {
    export: (spans, done) => {
      batches.push(spans);
      if (result !== 'never') done(result);
    },
    shutdown: async () => {
      calls.shutdown += 1;
    },
    forceFlush: async () => {
      calls.forceFlush += 1;
    },
  };
  return { exporter, batches, calls };
}

function tracerWith(processor: SpanProcessor) {
  return new BasicTracerProvider({ spanProcessors: [processor] }).getTracer('pipeline-test');
}

const options = { maxQueueSize: 100, maxExportBatchSize: 3, scheduledDelayMillis: 1000, exportTimeoutMillis: 5000 };

describe('bounded batch span processor', () => {
  it('exports a full batch at once and a partial one after the scheduled delay', async () => {
    vi.useFakeTimers();
    const { exporter, batches } = memoryExporter();
    const tracer = tracerWith(new BoundedBatchSpanProcessor(exporter, options, { onDropped: () => undefined }));
    for (const name of ['a', 'b', 'c']) tracer.startSpan(name).end();
    expect(batches.map((batch) => batch.map(({ name }) => name))).toEqual([['a', 'b', 'c']]);
    await vi.advanceTimersByTimeAsync(0);
    tracer.startSpan('d').end();
    await vi.advanceTimersByTimeAsync(999);
    expect(batches).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches.map((batch) => batch.map(({ name }) => name))).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('sends everything queued on forceFlush, in batches, and stops taking spans after shutdown', async () => {
    const { exporter, batches, calls } = memoryExporter();
    const processor = new BoundedBatchSpanProcessor(exporter, { ...options, maxExportBatchSize: 2, scheduledDelayMillis: 60_000 }, { onDropped: () => undefined });
    const tracer = tracerWith(processor);
    tracer.startSpan('a').end();
    await processor.forceFlush();
    expect(batches.map((batch) => batch.length)).toEqual([1]);
    for (const name of ['b', 'c', 'd']) tracer.startSpan(name).end();
    await processor.shutdown();
    expect(batches.map((batch) => batch.map(({ name }) => name))).toEqual([['a'], ['b', 'c'], ['d']]);
    expect(calls.shutdown).toBe(1);
    tracer.startSpan('late').end();
    await processor.forceFlush();
    expect(batches).toHaveLength(3);
  });

  it('gives up on an export that never answers after exportTimeoutMillis, then exports the next batch', async () => {
    vi.useFakeTimers();
    const { exporter, batches } = memoryExporter('never');
    const processor = new BoundedBatchSpanProcessor(exporter, { ...options, maxExportBatchSize: 1 }, { onDropped: () => undefined });
    const tracer = tracerWith(processor);
    tracer.startSpan('a').end();
    tracer.startSpan('b').end();
    await vi.advanceTimersByTimeAsync(4999);
    expect(batches).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches.map((batch) => batch[0]!.name)).toEqual(['a', 'b']);
  });

  it('queues only sampled spans its filter accepts, and calls its start hook', () => {
    const { exporter, batches } = memoryExporter();
    const started: string[] = [];
    const processor = new BoundedBatchSpanProcessor(exporter, { ...options, maxExportBatchSize: 1 }, {
      onDropped: () => undefined,
      accept: (span) => span.name !== 'http',
      onStart: (span) => started.push((span as unknown as ReadableSpan).name),
    });
    const tracer = tracerWith(processor);
    tracer.startSpan('http').end();
    tracer.startSpan('agent').end();
    expect(started).toEqual(['http', 'agent']);
    expect(batches.map((batch) => batch[0]!.name)).toEqual(['agent']);
  });

  it('counts each span beyond the queue size as dropped, at exactly the bound', () => {
    const { exporter, batches } = memoryExporter('never');
    const dropped: number[] = [];
    const processor = new BoundedBatchSpanProcessor(exporter, { ...options, maxQueueSize: 2, maxExportBatchSize: 2 }, { onDropped: (count) => dropped.push(count) });
    const tracer = tracerWith(processor);
    for (const name of ['a', 'b']) tracer.startSpan(name).end();
    expect(batches).toHaveLength(1);
    for (const name of ['c', 'd']) tracer.startSpan(name).end();
    expect(dropped).toEqual([]);
    tracer.startSpan('e').end();
    expect(dropped).toEqual([1]);
  });
});

describe('counting exporter', () => {
  it('counts a failed export with the spans it lost and its reason, and passes every result on', () => {
    const failures: Array<[string, number, string]> = [];
    const reporter = { exportFailed: (sink: string, spans: number, reason: string) => failures.push([sink, spans, reason]) };
    const results: ExportResult[] = [];
    const failing = memoryExporter({ code: ExportResultCode.FAILED, error: new Error('HTTP 503') });
    const counting = new CountingExporter(failing.exporter, 'otlp', reporter as never);
    const spans = [{}, {}] as ReadableSpan[];
    counting.export(spans, (result) => results.push(result));
    new CountingExporter(memoryExporter({ code: ExportResultCode.FAILED }).exporter, 'langfuse', reporter as never).export(spans, () => undefined);
    new CountingExporter(memoryExporter().exporter, 'otlp', reporter as never).export(spans, (result) => results.push(result));
    expect(failures).toEqual([
      ['otlp', 2, 'HTTP 503'],
      ['langfuse', 2, 'export failed'],
    ]);
    expect(results.map(({ code }) => code)).toEqual([ExportResultCode.FAILED, ExportResultCode.SUCCESS]);
  });

  it('passes shutdown and forceFlush to the wrapped exporter', async () => {
    const inner = memoryExporter();
    const counting = new CountingExporter(inner.exporter, 'otlp', {} as never);
    await counting.forceFlush();
    await counting.shutdown();
    expect(inner.calls).toEqual({ shutdown: 1, forceFlush: 1 });
    await expect(new CountingExporter({ export: () => undefined, shutdown: async () => undefined }, 'otlp', {} as never).forceFlush()).resolves.toBeUndefined();
  });
});

describe('exporters that rewrite spans', () => {
  function endedSpan(attributes: Record<string, string>) {
    const { exporter, batches } = memoryExporter();
    const processor: SpanProcessor = {
      onStart: () => undefined,
      onEnd: (span) => exporter.export([span], () => undefined),
      forceFlush: async () => undefined,
      shutdown: async () => undefined,
    };
    const span = tracerWith(processor).startSpan('generate_content', { attributes });
    span.addEvent('llm.attempt_failed', { 'error.message': 'card-1234 refused' });
    span.setStatus({ code: 2, message: 'card-1234 refused' });
    span.end();
    return batches[0]![0]!;
  }

  const content = {
    'langfuse.observation.input': 'in',
    'langfuse.observation.output': 'out',
    'langfuse.trace.input': 'trace in',
    'langfuse.trace.output': 'trace out',
    'gen_ai.input.messages': 'messages in',
    'gen_ai.output.messages': 'messages out',
    'gen_ai.system_instructions': 'system',
  };

  it('strips prompt and answer attributes from a copy, leaving the span and other attributes alone', () => {
    const original = endedSpan({ ...content, 'gen_ai.request.model': 'gemini-2.5-flash', 'langfuse.observation.input.extra': 'kept' });
    const inner = memoryExporter();
    new ContentStrippingExporter(inner.exporter).export([original], () => undefined);
    const [stripped] = inner.batches[0]!;
    expect(stripped!.attributes).toEqual({ 'gen_ai.request.model': 'gemini-2.5-flash', 'langfuse.observation.input.extra': 'kept' });
    expect(stripped!.name).toBe('generate_content');
    expect(stripped!.spanContext().spanId).toBe(original.spanContext().spanId);
    expect(original.attributes).toMatchObject(content);
  });

  it('hands on a span with no content attributes as it is', () => {
    const original = endedSpan({ 'gen_ai.request.model': 'gemini-2.5-flash' });
    const inner = memoryExporter();
    new ContentStrippingExporter(inner.exporter).export([original], () => undefined);
    expect(inner.batches[0]![0]).toBe(original);
  });

  it('masks patterns in attributes, event attributes and the status message of a copy', async () => {
    const original = endedSpan({ 'langfuse.observation.input': 'pay with card-1234' });
    const inner = memoryExporter();
    const results: ExportResult[] = [];
    const redacting = new RedactingExporter(inner.exporter, createRedactor([/card-\d+/g]));
    redacting.export([original], (result) => results.push(result));
    const [masked] = inner.batches[0]!;
    expect(masked!.attributes).toEqual({ 'langfuse.observation.input': 'pay with [REDACTED]' });
    expect(masked!.events.map(({ name, attributes }) => [name, attributes])).toEqual([['llm.attempt_failed', { 'error.message': '[REDACTED] refused' }]]);
    expect(masked!.status).toEqual({ code: 2, message: '[REDACTED] refused' });
    expect(original.attributes['langfuse.observation.input']).toBe('pay with card-1234');
    expect(results).toEqual([{ code: ExportResultCode.SUCCESS }]);
    await redacting.forceFlush();
    await redacting.shutdown();
    expect(inner.calls).toEqual({ shutdown: 1, forceFlush: 1 });
  });
});
