import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { tracing } from '@opentelemetry/sdk-node';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { ExportSinkName, FailureReporter } from '../support/failure-reporter.js';
import type { Redact } from '../support/redact.js';

/** Counts failed exports (and the spans they lose) for one sink; the wrapped exporter does the work. */
export class CountingExporter implements SpanExporter {
  constructor(
    private readonly inner: SpanExporter,
    private readonly sink: ExportSinkName,
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
