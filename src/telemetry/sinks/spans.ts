import { getLangfuseTracer } from '@langfuse/tracing';
import { SpanKind, SpanStatusCode, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { LlmError } from '../../llm/errors.js';
import type { LlmCallRecord, LlmRequest } from '../../llm/types.js';
import { cacheAttributes } from '../support/llm-cache.js';
import type { AgentOptions } from '../types.js';

/**
 * The OpenTelemetry side of each call and agent: span names, GenAI semantic-convention attributes, events
 * and status. The spans come from LangFuse's tracer, so the same span is both the Jaeger span and the
 * LangFuse observation (sinks/langfuse.ts maps the LangFuse attributes onto it).
 */
export function createSpanSink(captureContent: boolean) {
  return {
    startGeneration(request: LlmRequest, system: string, serverAddress: { host: string; port: number } | undefined, parent: Context): Span {
      return getLangfuseTracer().startSpan(
        `generate_content ${request.model}`,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'gen_ai.operation.name': 'generate_content',
            'gen_ai.provider.name': system,
            'gen_ai.request.model': request.model,
            'gen_ai.request.temperature': request.temperature,
            'gen_ai.request.max_tokens': request.maxOutputTokens,
            // The convention sets it only for streamed calls.
            ...(request.stream ? { 'gen_ai.request.stream': true } : {}),
            ...(serverAddress ? { 'server.address': serverAddress.host, 'server.port': serverAddress.port } : {}),
          },
        },
        parent,
      );
    },
    attemptFailed(span: Span, error: LlmError, attempt: number) {
      span.addEvent('llm.attempt_failed', { attempt, 'error.type': error.type, 'error.message': error.message });
    },
    describeGeneration(span: Span, record: LlmCallRecord) {
      // With no trace sink the span does not record: skip serialising prompt and answer for nobody.
      if (!span.isRecording()) return;
      const { request, response, usage, cost } = record;
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
        ...(record.timeToFirstChunkMs !== undefined ? { 'gen_ai.response.time_to_first_chunk': record.timeToFirstChunkMs / 1000 } : {}),
        ...(record.status === 'cancelled' ? { 'llm.cancelled': true } : {}),
        ...(response?.responseModel ? { 'gen_ai.response.model': response.responseModel } : {}),
        ...(response?.responseId ? { 'gen_ai.response.id': response.responseId } : {}),
        ...(response ? { 'gen_ai.response.finish_reasons': [response.finishReason.toLowerCase()] } : {}),
        ...(captureContent ? contentAttributes(record) : {}),
      });
      if (record.error) {
        span.setAttribute('error.type', record.error.type);
        span.setStatus({ code: SpanStatusCode.ERROR, message: record.error.message });
      }
    },
    startAgent(options: AgentOptions, parent: Context): Span {
      const sessionId = options.trace?.sessionId;
      return getLangfuseTracer().startSpan(
        `invoke_agent ${options.name}`,
        {
          attributes: {
            'gen_ai.operation.name': 'invoke_agent',
            'gen_ai.agent.name': options.name,
            ...(options.provider ? { 'gen_ai.provider.name': options.provider } : {}),
            // The convention's name for the session; LangFuse reads `session.id` (sinks/langfuse.ts).
            ...(sessionId ? { 'gen_ai.conversation.id': sessionId } : {}),
          },
          // A batch item's root links to the batch's span.
          links: options.trace?.links,
        },
        parent,
      );
    },
    annotate(span: Span, attributes: Attributes) {
      if (span.isRecording()) span.setAttributes(attributes);
    },
    failed(span: Span, message: string, error: unknown) {
      span.setAttribute('error.type', agentErrorType(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message });
    },
    end(span: Span) {
      span.end();
    },
  };
}

export type SpanSink = ReturnType<typeof createSpanSink>;

/** A bounded `error.type`: the model error's kind, else the error's class name, else `_OTHER`. */
function agentErrorType(error: unknown): string {
  if (error instanceof LlmError) return error.type;
  return error instanceof Error ? error.constructor.name : '_OTHER';
}

function contentAttributes({ request, response }: LlmCallRecord): Attributes {
  return {
    'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: request.system }]),
    'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: request.prompt }] }]),
    ...(response ? { 'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: response.text }] }]) } : {}),
  };
}
