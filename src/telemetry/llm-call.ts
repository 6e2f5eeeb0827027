import { LangfuseGeneration, getLangfuseTracer } from '@langfuse/tracing';
import { SpanKind, SpanStatusCode, context, trace, type Context } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { LlmError } from '../llm/errors.js';
import type { LlmCallRecord, LlmRequest } from '../llm/types.js';
import { cacheAttributes, cacheLogField, cacheMetadata, recordCacheHit } from './llm-cache.js';
import type { Metrics } from './metrics.js';
import type { TelemetryObserver } from './observers.js';

export interface LlmCallSpan {
  traceId: string;
  spanId: string;
  /** Context in which the provider runs, so its log lines carry this span's ids. */
  context: Context;
  /** A failed attempt that will be retried: counted and logged now, listed as a span event. */
  attemptFailed(error: LlmError, attempt: number): void;
  finish(record: LlmCallRecord): void;
}

interface Options {
  metrics: Metrics;
  logger: Logger;
  captureContent: boolean;
  observers: TelemetryObserver[];
}

/** The model label: the priced model id when known, else the configured one; never free text from a response. */
export const modelLabel = (record: LlmCallRecord) => record.cost.pricedModel ?? record.request.model;

/**
 * Turns one call description into every signal: the generation span (which is both the Jaeger span and
 * the LangFuse generation), the Prometheus series, one log line and the observers (LangSmith).
 */
export function createLlmCallTelemetry({ metrics, logger, captureContent, observers }: Options) {
  return {
    start(request: LlmRequest, system: string, serverAddress?: { host: string; port: number }): LlmCallSpan {
      const parent = context.active();
      const parentSpanId = trace.getSpan(parent)?.spanContext().spanId;
      const otelSpan = getLangfuseTracer().startSpan(
        `generate_content ${request.model}`,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'gen_ai.operation.name': 'generate_content',
            'gen_ai.provider.name': system,
            'gen_ai.request.model': request.model,
            'gen_ai.request.temperature': request.temperature,
            'gen_ai.request.max_tokens': request.maxOutputTokens,
            'gen_ai.request.stream': Boolean(request.stream),
            ...(serverAddress ? { 'server.address': serverAddress.host, 'server.port': serverAddress.port } : {}),
          },
        },
        parent,
      );
      const generation = new LangfuseGeneration({ otelSpan, attributes: {} });
      const { traceId, spanId } = otelSpan.spanContext();
      return {
        traceId,
        spanId,
        context: trace.setSpan(parent, otelSpan),
        attemptFailed(error, attempt) {
          otelSpan.addEvent('llm.attempt_failed', { attempt, 'error.type': error.type, 'error.message': error.message });
          metrics.llmRequests.inc({ model: request.model, status: 'error' });
          metrics.llmErrors.inc({ model: request.model, error_type: error.type });
          metrics.llmRetries.inc({ model: request.model, error_type: error.type });
          logger.warn({ event: 'llm_attempt_failed', model: request.model, attempt, error_type: error.type, error: error.message }, 'llm attempt failed, retrying');
        },
        finish(record) {
          try {
            recordOnSpan(generation, record, captureContent);
          } finally {
            otelSpan.end();
          }
          recordMetrics(metrics, record);
          logCall(logger, record, captureContent);
          for (const observer of observers) observer.onLlmCall?.(record, parentSpanId);
        },
      };
    },
  };
}

function recordOnSpan(generation: LangfuseGeneration, record: LlmCallRecord, captureContent: boolean) {
  // With no sink the span does not record: skip serialising prompt and answer for nobody.
  if (!generation.otelSpan.isRecording()) return;
  const { request, response, usage, cost } = record;
  const span = generation.otelSpan;
  span.setAttributes({
    'gen_ai.usage.input_tokens': usage.input + usage.cached,
    'gen_ai.usage.cache_read.input_tokens': usage.cached,
    'gen_ai.usage.output_tokens': usage.output + usage.reasoning,
    'gen_ai.usage.reasoning.output_tokens': usage.reasoning,
    'llm.retry.attempts': record.attempts,
    'llm.prompt.name': request.promptRef.name,
    'llm.prompt.version': request.promptRef.version,
    ...cacheAttributes(record),
    ...(cost.costUsd !== null ? { 'gen_ai.usage.cost': cost.costUsd } : { 'llm.cost.unknown': true }),
    ...(response?.responseModel ? { 'gen_ai.response.model': response.responseModel } : {}),
    ...(response?.responseId ? { 'gen_ai.response.id': response.responseId } : {}),
    ...(response ? { 'gen_ai.response.finish_reasons': [response.finishReason.toLowerCase()] } : {}),
    ...(captureContent
      ? {
          'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: request.system }]),
          'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: request.prompt }] }]),
          ...(response
            ? { 'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: response.text }] }]) }
            : {}),
        }
      : {}),
  });
  generation.update({
    model: cost.pricedModel ?? response?.responseModel ?? request.model,
    modelParameters: { temperature: request.temperature, maxOutputTokens: request.maxOutputTokens },
    input: [
      { role: 'system', content: request.system },
      { role: 'user', content: request.prompt },
    ],
    output: response ? { role: 'assistant', content: response.text } : undefined,
    usageDetails: {
      input: usage.input,
      input_cached_tokens: usage.cached,
      output: usage.output,
      output_reasoning_tokens: usage.reasoning,
      total: usage.total,
    },
    costDetails: cost.details ?? undefined,
    prompt: { name: request.promptRef.name, version: request.promptRef.version, isFallback: false },
    level: record.status === 'error' ? 'ERROR' : 'DEFAULT',
    statusMessage: record.error ? `${record.error.type}: ${record.error.message}` : undefined,
    metadata: { attempts: record.attempts, provider: record.provider, ...cacheMetadata(record) },
  });
  if (record.error) {
    span.setAttribute('error.type', record.error.type);
    span.setStatus({ code: SpanStatusCode.ERROR, message: record.error.message });
  }
}

function recordMetrics(metrics: Metrics, record: LlmCallRecord) {
  const model = modelLabel(record);
  if (recordCacheHit(metrics, record, model)) return;
  metrics.llmRequests.inc({ model, status: record.status });
  if (record.error) metrics.llmErrors.inc({ model, error_type: record.error.type });
  const { usage } = record;
  metrics.llmTokens.inc({ model, type: 'input' }, usage.input);
  metrics.llmTokens.inc({ model, type: 'cached' }, usage.cached);
  metrics.llmTokens.inc({ model, type: 'output' }, usage.output);
  metrics.llmTokens.inc({ model, type: 'reasoning' }, usage.reasoning);
  if (record.cost.costUsd === null) metrics.llmUnpricedCalls.inc({ model });
  else metrics.llmCost.inc({ model, prompt_version: String(record.request.promptRef.version) }, record.cost.costUsd);
  metrics.llmLatency.observe({
    labels: { model },
    value: record.latencyMs / 1000,
    exemplarLabels: { trace_id: record.traceId },
  });
}

function logCall(logger: Logger, record: LlmCallRecord, captureContent: boolean) {
  const fields = {
    event: 'llm_call',
    model: modelLabel(record),
    response_model: record.response?.responseModel,
    status: record.status,
    tokens: record.usage,
    cost_usd: record.cost.costUsd,
    latency_ms: Math.round(record.latencyMs),
    attempts: record.attempts,
    prompt: record.request.promptRef,
    ...cacheLogField(record),
    ...(record.error ? { error_type: record.error.type, error: record.error.message } : {}),
    ...(captureContent ? { prompt_text: record.request.prompt, answer: record.response?.text } : {}),
  };
  if (record.status === 'error') logger.error(fields, 'llm call failed');
  else logger.info(fields, 'llm call');
  if (record.cost.costUsd === null) {
    logger.warn({ model: record.request.model, response_model: record.response?.responseModel }, 'llm cost unknown: model not in price table');
  }
}

export type LlmCallTelemetry = ReturnType<typeof createLlmCallTelemetry>;
