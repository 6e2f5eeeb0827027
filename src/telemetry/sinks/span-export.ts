import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { TraceFlags } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
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

export interface BatchOptions {
  /** Spans waiting for export; beyond it new spans are dropped and counted. */
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMillis: number;
  /** Bound on one export, in case an exporter never calls back. */
  exportTimeoutMillis: number;
}

export interface BatchHooks {
  onDropped(count: number): void;
  /** Only spans it accepts are queued (LangFuse takes its own observations, not the HTTP spans). */
  accept?(span: ReadableSpan): boolean;
  onStart?(span: Span): void;
}

/**
 * A batching span processor whose queue bound and drops are its own: the SDK's BatchSpanProcessor only
 * logs what it drops. One export runs at a time; a full batch is sent at once, a partial one after the
 * scheduled delay, on a timer that never keeps the process alive.
 */
export class BoundedBatchSpanProcessor implements SpanProcessor {
  private readonly queue: ReadableSpan[] = [];
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly exporter: SpanExporter,
    private readonly options: BatchOptions,
    private readonly hooks: BatchHooks,
  ) {}

  onStart(span: Span): void {
    this.hooks.onStart?.(span);
  }

  onEnd(span: ReadableSpan): void {
    if (this.stopped || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.hooks.accept && !this.hooks.accept(span)) return;
    if (this.queue.length >= this.options.maxQueueSize) {
      this.hooks.onDropped(1);
      return;
    }
    this.queue.push(span);
    if (this.queue.length >= this.options.maxExportBatchSize) void this.drain();
    else this.timer ??= setTimeout(() => void this.drain(), this.options.scheduledDelayMillis).unref();
  }

  async forceFlush(): Promise<void> {
    await this.drain();
  }

  async shutdown(): Promise<void> {
    await this.drain();
    this.stopped = true;
    await this.exporter.shutdown();
  }

  private drain(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.draining ??= (async () => {
      while (this.queue.length > 0) await this.exportBatch(this.queue.splice(0, this.options.maxExportBatchSize));
    })().finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  private exportBatch(batch: ReadableSpan[]): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, this.options.exportTimeoutMillis);
      timer.unref();
      this.exporter.export(batch, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
