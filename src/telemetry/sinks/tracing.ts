import { isDefaultExportSpan } from '@langfuse/otel';
import { LangfuseOtelSpanAttributes } from '@langfuse/tracing';
import { NodeSDK, tracing } from '@opentelemetry/sdk-node';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Config } from '../../config/index.js';
import type { FailureReporter } from '../support/failure-reporter.js';
import { createRedactor } from '../support/redact.js';
import { OtlpExportProcessor, type OtlpDestination } from './otlp-export.js';

/**
 * One NodeSDK whose one span processor feeds Jaeger (every span, content stripped unless CAPTURE_CONTENT)
 * and LangFuse (its own observations, agents and generations, with content) over OTLP/HTTP JSON. A
 * tracer provider is started even with no sink, because the trace id is what the response, the logs and
 * the exemplars share.
 */
export function startTracing(config: Config, reporter: FailureReporter) {
  const { telemetry } = config;
  const destinations: OtlpDestination[] = [];
  if (telemetry.otlp) {
    destinations.push({ sink: 'otlp', url: telemetry.otlp.url, accept: () => true, withContent: telemetry.captureContent });
  }
  if (telemetry.langfuse) destinations.push(langfuseDestination(telemetry.langfuse));
  const redact = createRedactor(telemetry.redactPatterns);
  const processor: SpanProcessor =
    destinations.length > 0
      ? new OtlpExportProcessor({
          destinations,
          maxQueueSize: telemetry.queueSize,
          maxQueueBytes: telemetry.queueBytes,
          maxExportBatchSize: 512,
          scheduledDelayMillis: 1000,
          timeoutMillis: telemetry.exportTimeoutMs,
          reporter,
          maskText: (text) => redact(text),
          // What LangfuseSpanProcessor would add: the environment on every span.
          onStart: telemetry.langfuse ? (span) => span.setAttribute(LangfuseOtelSpanAttributes.ENVIRONMENT, config.environment) : undefined,
        })
      : // With no processor NodeSDK registers no tracer provider at all, and every trace id would be zeros.
        new tracing.NoopSpanProcessor();
  const sdk = new NodeSDK({
    serviceName: config.serviceName,
    spanProcessors: [processor],
    // Unsampled spans still carry fresh trace and span ids (for responses, logs and exemplars) but record
    // nothing, so a service with no trace sink pays for ids only.
    ...(destinations.length > 0 ? {} : { sampler: new tracing.AlwaysOffSampler() }),
    instrumentations: [],
    // Resource detectors read host and process facts; the service name and environment are what matter here.
    resourceDetectors: [],
  });
  sdk.start();
  return {
    /** Flushes and stops the processor. Each export is bounded by the export timeout. */
    shutdown: () => sdk.shutdown(),
  };
}

function langfuseDestination(langfuse: NonNullable<Config['telemetry']['langfuse']>): OtlpDestination {
  return {
    sink: 'langfuse',
    url: `${langfuse.baseUrl.replace(/\/$/, '')}/api/public/otel/v1/traces`,
    headers: {
      Authorization: `Basic ${Buffer.from(`${langfuse.publicKey}:${langfuse.secretKey}`).toString('base64')}`,
      'x-langfuse-sdk-name': 'javascript',
      'x-langfuse-public-key': langfuse.publicKey,
    },
    // LangFuse takes its own observations (and GenAI spans), not the HTTP server spans.
    accept: isDefaultExportSpan,
    withContent: true,
  };
}
