import { LangfuseOtelSpanAttributes } from '@langfuse/tracing';
import { isDefaultExportSpan } from '@langfuse/otel';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { NodeSDK, tracing } from '@opentelemetry/sdk-node';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Config } from '../../config/index.js';
import type { FailureReporter } from '../support/failure-reporter.js';
import { createRedactor } from '../support/redact.js';
import { BoundedBatchSpanProcessor, ContentStrippingExporter, CountingExporter, RedactingExporter, type BatchOptions } from './span-export.js';

/**
 * One NodeSDK feeds Jaeger (OTLP/HTTP JSON) and LangFuse (OTLP to its ingestion endpoint, keeping only the
 * LangFuse observations: agents and generations), each through its own bounded batch processor. A tracer provider is started even with no sink,
 * because the trace id is what the response, the logs and the exemplars share.
 */
export function startTracing(config: Config, reporter: FailureReporter) {
  const { telemetry } = config;
  const batchOptions: BatchOptions = {
    maxQueueSize: telemetry.queueSize,
    maxExportBatchSize: 512,
    scheduledDelayMillis: 1000,
    exportTimeoutMillis: telemetry.exportTimeoutMs,
  };
  const spanProcessors: SpanProcessor[] = [];
  if (telemetry.otlp) {
    const otlpExporter = new OTLPTraceExporter({ url: telemetry.otlp.url, timeoutMillis: telemetry.exportTimeoutMs });
    const contentChecked = telemetry.captureContent ? otlpExporter : new ContentStrippingExporter(otlpExporter);
    const exporter = new CountingExporter(redacting(contentChecked, config), 'otlp', reporter);
    spanProcessors.push(new BoundedBatchSpanProcessor(exporter, batchOptions, { onDropped: (count) => reporter.dropped('otlp', count) }));
  }
  if (telemetry.langfuse) spanProcessors.push(createLangfuseProcessor(config, reporter, batchOptions));

  // With no processor NodeSDK registers no tracer provider at all, and every trace id would be zeros.
  const anySink = spanProcessors.length > 0;
  if (!anySink) spanProcessors.push(new tracing.NoopSpanProcessor());
  const sdk = new NodeSDK({
    serviceName: config.serviceName,
    spanProcessors,
    // Unsampled spans still carry fresh trace and span ids (for responses, logs and exemplars) but record
    // nothing, so a service with no trace sink pays for ids only.
    ...(anySink ? {} : { sampler: new tracing.AlwaysOffSampler() }),
    instrumentations: [],
    // Resource detectors read host and process facts; the service name and environment are what matter here.
    resourceDetectors: [],
  });
  sdk.start();
  return {
    /** Flushes and stops both processors. Each export is bounded by the exporter timeout. */
    shutdown: () => sdk.shutdown(),
  };
}

function createLangfuseProcessor(config: Config, reporter: FailureReporter, batchOptions: BatchOptions): SpanProcessor {
  const langfuse = config.telemetry.langfuse!;
  const otlpExporter = new OTLPTraceExporter({
    url: `${langfuse.baseUrl.replace(/\/$/, '')}/api/public/otel/v1/traces`,
    headers: {
      Authorization: `Basic ${Buffer.from(`${langfuse.publicKey}:${langfuse.secretKey}`).toString('base64')}`,
      'x-langfuse-sdk-name': 'javascript',
      'x-langfuse-public-key': langfuse.publicKey,
    },
    timeoutMillis: config.telemetry.exportTimeoutMs,
  });
  const exporter = new CountingExporter(redacting(otlpExporter, config), 'langfuse', reporter);
  // What LangfuseSpanProcessor adds, done here so that the queue is bounded and its drops counted: the
  // environment on every span, and only LangFuse's own spans exported (agents and generations).
  return new BoundedBatchSpanProcessor(exporter, batchOptions, {
    onDropped: (count) => reporter.dropped('langfuse', count),
    accept: isDefaultExportSpan,
    onStart: (span) => span.setAttribute(LangfuseOtelSpanAttributes.ENVIRONMENT, config.environment),
  });
}

const redacting = (exporter: SpanExporter, config: Config): SpanExporter =>
  config.telemetry.redactPatterns.length > 0
    ? new RedactingExporter(exporter, createRedactor(config.telemetry.redactPatterns))
    : exporter;
