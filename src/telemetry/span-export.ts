import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { tracing } from '@opentelemetry/sdk-node';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { FailureReporter, SinkName } from './failure-reporter.js';
import type { Redact } from './redact.js';

/** Counts failed exports (and the spans they lose) for one sink; the wrapped exporter does the work. */
export class CountingExporter implements SpanExporter {
  constructor(
    private readonly inner: SpanExporter,
    private readonly sink: SinkName,
    private readonly reporter: FailureReporter,
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code !== ExportResultCode.SUCCESS) {
        this.reporter.exportFailed(this.sink, spans.length, result.error?.message ?? 'export failed');
      }
      resultCallback(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

const contentAttributePattern = /^(langfuse\.(observation|trace)\.(input|output)|gen_ai\.(input|output)\.messages|gen_ai\.system_instructions)$/;

/** Exports a rewritten copy of each span; the original, which other processors share, is untouched. */
export class SpanMappingExporter implements SpanExporter {
  constructor(
    private readonly inner: SpanExporter,
    private readonly map: (span: ReadableSpan) => ReadableSpan,
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.inner.export(spans.map(this.map), resultCallback);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/**
 * Prompt and answer text belong in LangFuse, not in Jaeger, unless content capture is on:
 * the same spans feed both, so the Jaeger-bound copy is stripped here, after LangFuse has its own.
 */
export class ContentStrippingExporter extends SpanMappingExporter {
  constructor(inner: SpanExporter) {
    super(inner, stripContent);
  }
}

/**
 * Masks REDACT_PATTERNS in every attribute, event and status message at export time. Masking here rather
 * than in LangFuse's `mask` covers every attribute (not only input, output and metadata) and never
 * rewrites the span object that the other sink is still reading.
 */
export class RedactingExporter extends SpanMappingExporter {
  constructor(inner: SpanExporter, redact: Redact) {
    super(inner, (span) =>
      copySpan(span, {
        attributes: redact(span.attributes),
        events: span.events.map((event) => ({ ...event, attributes: redact(event.attributes) })),
        status: { ...span.status, message: redact(span.status.message) },
      }),
    );
  }
}

/**
 * JSON.stringify renders a whole export batch as two-byte text once any string in it holds a character
 * above U+00FF (one em dash in a paper summary is enough), which made serialising each LangFuse batch
 * about 1.5× slower (docs/BENCHMARKS.md). LangFuse's input and output attributes are JSON documents, in
 * which `\uXXXX` is the same text, so the exported copy spells those characters as escapes.
 */
export class Latin1JsonExporter extends SpanMappingExporter {
  constructor(inner: SpanExporter) {
    super(inner, escapeJsonContent);
  }
}

const jsonContentKey = /^langfuse\.(observation|trace)\.(input|output)$/;
const beyondLatin1 = /[^\u0000-\u00ff]/;
const beyondLatin1Everywhere = /[^\u0000-\u00ff]/g;
const unicodeEscape = (char: string) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

function escapeJsonContent(span: ReadableSpan): ReadableSpan {
  let attributes: ReadableSpan['attributes'] | undefined;
  for (const [key, value] of Object.entries(span.attributes)) {
    // Plain-text values (a string input is exported as is) would show the escapes, so only JSON is touched.
    if (typeof value !== 'string' || !jsonContentKey.test(key) || (value[0] !== '{' && value[0] !== '[')) continue;
    if (!beyondLatin1.test(value)) continue;
    attributes ??= { ...span.attributes };
    attributes[key] = value.replace(beyondLatin1Everywhere, unicodeEscape);
  }
  return attributes ? copySpan(span, { attributes }) : span;
}

const copySpan = (span: ReadableSpan, changes: Partial<ReadableSpan>): ReadableSpan =>
  Object.assign(Object.create(Object.getPrototypeOf(span) as object), span, changes) as ReadableSpan;

function stripContent(span: ReadableSpan): ReadableSpan {
  const keys = Object.keys(span.attributes);
  if (!keys.some((key) => contentAttributePattern.test(key))) return span;
  const attributes = Object.fromEntries(
    Object.entries(span.attributes).filter(([key]) => !contentAttributePattern.test(key)),
  );
  return copySpan(span, { attributes });
}

interface BatchInternals {
  _finishedSpans: unknown[];
  _maxQueueSize: number;
}

/** A BatchSpanProcessor that reports the spans it drops when its queue is full, which the SDK only logs. */
export class CountingBatchSpanProcessor extends tracing.BatchSpanProcessor {
  constructor(
    exporter: SpanExporter,
    config: ConstructorParameters<typeof tracing.BatchSpanProcessor>[1],
    private readonly onDropped: () => void,
  ) {
    super(exporter, config);
  }

  override onEnd(span: ReadableSpan): void {
    const internals = this as unknown as BatchInternals;
    if (internals._finishedSpans.length >= internals._maxQueueSize) this.onDropped();
    super.onEnd(span);
  }
}
