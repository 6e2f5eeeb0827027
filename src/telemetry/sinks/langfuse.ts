import { LangfuseAgent, LangfuseEvent, LangfuseGeneration, LangfuseRetriever, getLangfuseTracer } from '@langfuse/tracing';
import type { Context, Span } from '@opentelemetry/api';
import type { LlmCallRecord } from '../../llm/types.js';
import { cacheMetadata } from '../support/llm-cache.js';
import type { Redact } from '../support/redact.js';
import type { AgentAttributes, AgentOptions, BatchSummary, UserFeedback } from '../types.js';
import type { ScoreSink } from './langfuse-scores.js';

type AgentObservation = LangfuseAgent | LangfuseRetriever;

/**
 * LangFuse's view of each call and agent: the observation attributes (type, input, output, usage, cost,
 * prompt, level) on the same OpenTelemetry span Jaeger gets, the trace-level fields on the root agent, and
 * user feedback as the `user-feedback` score. Nothing is built for a span that does not record.
 */
export function createLangfuseSink(scores: ScoreSink | undefined, redact: Redact) {
  return {
    observeGeneration(span: Span): LangfuseGeneration | undefined {
      return span.isRecording() ? new LangfuseGeneration({ otelSpan: span, attributes: {} }) : undefined;
    },
    describeGeneration(generation: LangfuseGeneration | undefined, record: LlmCallRecord) {
      if (!generation) return;
      const { request, response, usage, cost } = record;
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
        // The SDK drops the prompt link of a fallback; ours is a real version (the file's, pushed to LangFuse),
        // so the link is always sent and the fallback is said in the metadata.
        prompt: { name: request.promptRef.name, version: request.promptRef.version, isFallback: false },
        level: record.status === 'error' ? 'ERROR' : record.status === 'cancelled' ? 'WARNING' : 'DEFAULT',
        statusMessage: record.error ? `${record.error.type}: ${record.error.message}` : record.status === 'cancelled' ? 'cancelled: the caller went away' : undefined,
        completionStartTime: record.timeToFirstChunkMs !== undefined ? new Date(record.startedAt + record.timeToFirstChunkMs) : undefined,
        metadata: { attempts: record.attempts, provider: record.provider, prompt_is_fallback: Boolean(request.promptRef.isFallback), ...cacheMetadata(record) },
      });
    },
    observeAgent(span: Span, options: AgentOptions): AgentObservation | undefined {
      if (!span.isRecording()) return undefined;
      const attributes = { input: options.inputs };
      const observation =
        options.kind === 'retriever' ? new LangfuseRetriever({ otelSpan: span, attributes }) : new LangfuseAgent({ otelSpan: span, attributes });
      if (options.trace) {
        const { name, userId, sessionId, tags } = options.trace;
        span.setAttributes({
          'langfuse.trace.name': name,
          ...(userId ? { 'user.id': userId } : {}),
          ...(sessionId ? { 'session.id': sessionId } : {}),
          ...(tags ? { 'langfuse.trace.tags': tags } : {}),
          'langfuse.trace.input': JSON.stringify(options.inputs),
        });
      }
      return observation;
    },
    /** On the root agent, its attributes are the trace's metadata too. */
    annotateTrace(observation: AgentObservation | undefined, options: AgentOptions, attributes: AgentAttributes) {
      if (!observation || !options.trace) return;
      const metadata: AgentAttributes = {};
      for (const key of Object.keys(attributes)) metadata[`langfuse.trace.metadata.${key}`] = attributes[key];
      observation.otelSpan.setAttributes(metadata);
    },
    agentOutputs(observation: AgentObservation | undefined, options: AgentOptions, outputs: Record<string, unknown>) {
      if (!observation) return;
      // The answer is already the generation's output: agents that only pass it on (orchestrator,
      // reasoner) do not write it again; the root writes it once more as the trace's output.
      if (options.kind === 'retriever') observation.update({ output: outputs });
      if (options.trace) observation.otelSpan.setAttribute('langfuse.trace.output', JSON.stringify(outputs));
    },
    agentFailed(observation: AgentObservation | undefined, message: string) {
      observation?.update({ level: 'ERROR', statusMessage: message });
    },
    feedback(feedback: UserFeedback) {
      scores?.record({
        id: feedback.id,
        traceId: feedback.traceId,
        name: 'user-feedback',
        value: feedback.helpful ? 1 : 0,
        comment: redact(feedback.comment),
        metadata: feedback.userId ? { user_id: feedback.userId } : undefined,
      });
    },
    /** The chapter's `batch_processed` event (batch size and efficiency), in the batch's trace. */
    batchProcessed(summary: BatchSummary, batchContext: Context) {
      const otelSpan = getLangfuseTracer().startSpan('batch_processed', {}, batchContext);
      if (!otelSpan.isRecording()) return otelSpan.end();
      const totalSeconds = summary.itemLatenciesMs.reduce((sum, ms) => sum + ms, 0) / 1000;
      // The chapter's efficiency: items per second of summed item latency (above 1 when items overlap).
      const efficiency = totalSeconds > 0 ? Math.round((summary.size / totalSeconds) * 1000) / 1000 : null;
      new LangfuseEvent({
        otelSpan,
        attributes: {
          metadata: { batch_id: summary.batchId, batch_size: summary.size, succeeded: summary.succeeded, failed: summary.failed, efficiency },
        },
        timestamp: new Date(),
      });
    },
    flush: () => scores?.flush(),
  };
}

export type LangfuseSink = ReturnType<typeof createLangfuseSink>;
