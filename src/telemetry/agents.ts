import { LangfuseAgent, LangfuseRetriever, getLangfuseTracer } from '@langfuse/tracing';
import { SpanStatusCode, context, trace, type Attributes } from '@opentelemetry/api';
import { LlmError } from '../llm/errors.js';
import type { Metrics } from './metrics.js';
import type { AgentRecord, TelemetryObserver } from './observers.js';

export interface AgentRun {
  /** Attributes for this agent's span (and LangFuse observation); none may hold raw content. */
  annotate(attributes: Attributes): void;
  /** Summarised outputs for LangFuse and LangSmith (documents, answer), set once the work is done. */
  setOutputs(outputs: Record<string, unknown>): void;
  readonly traceId: string;
}

export interface AgentOptions {
  name: string;
  kind?: AgentRecord['kind'];
  inputs: Record<string, unknown>;
  /** Trace-level fields (user, session, tags, metadata): set on the root agent only. */
  trace?: { name: string; userId?: string; sessionId?: string; tags?: string[] };
  metadata?: Record<string, unknown>;
  /** `gen_ai.provider.name` of the model provider the agents use (required on agent spans). */
  provider?: string;
}

/**
 * Runs an agent inside an `invoke_agent <name>` span. The span doubles as a LangFuse agent (or retriever)
 * observation, and its end is described to the observers and the agent-duration histogram.
 */
export function createAgentTelemetry(metrics: Metrics, observers: TelemetryObserver[]) {
  return async function runAgent<T>(options: AgentOptions, work: (run: AgentRun) => Promise<T>): Promise<T> {
    const parent = context.active();
    const parentSpanId = trace.getSpan(parent)?.spanContext().spanId;
    const otelSpan = getLangfuseTracer().startSpan(
      `invoke_agent ${options.name}`,
      {
        attributes: {
          'gen_ai.operation.name': 'invoke_agent',
          'gen_ai.agent.name': options.name,
          ...(options.provider ? { 'gen_ai.provider.name': options.provider } : {}),
        },
      },
      parent,
    );
    // With no sink the span does not record: skip building (and serialising) what nobody would read.
    const recording = otelSpan.isRecording();
    const observation = !recording
      ? undefined
      : options.kind === 'retriever'
        ? new LangfuseRetriever({ otelSpan, attributes: { input: options.inputs } })
        : new LangfuseAgent({ otelSpan, attributes: { input: options.inputs } });
    if (options.trace && recording) {
      const { name, userId, sessionId, tags } = options.trace;
      otelSpan.setAttributes({
        'langfuse.trace.name': name,
        ...(userId ? { 'user.id': userId } : {}),
        // session.id is what LangFuse groups sessions by; gen_ai.conversation.id is the convention's name.
        ...(sessionId ? { 'session.id': sessionId, 'gen_ai.conversation.id': sessionId } : {}),
        ...(tags ? { 'langfuse.trace.tags': tags } : {}),
        'langfuse.trace.input': JSON.stringify(options.inputs),
      });
    }
    const { traceId, spanId } = otelSpan.spanContext();
    const record: AgentRecord = {
      name: options.name,
      kind: options.kind ?? 'chain',
      traceId,
      spanId,
      parentSpanId,
      startedAt: Date.now(),
      endedAt: 0,
      inputs: options.inputs,
      metadata: { ...options.metadata },
      tags: options.trace?.tags,
      trace: options.trace && { name: options.trace.name, userId: options.trace.userId, sessionId: options.trace.sessionId },
    };
    const run: AgentRun = {
      traceId,
      annotate(attributes) {
        Object.assign(record.metadata as Record<string, unknown>, attributes);
        if (!recording) return;
        otelSpan.setAttributes(attributes);
        if (options.trace) {
          otelSpan.setAttributes(
            Object.fromEntries(Object.entries(attributes).map(([key, value]) => [`langfuse.trace.metadata.${key}`, value])),
          );
        }
      },
      setOutputs(outputs) {
        record.outputs = outputs;
        if (!recording) return;
        // The answer is already the generation's output: agents that only pass it on (orchestrator,
        // reasoner) do not write it again; the root writes it once more as the trace's output.
        if (options.kind === 'retriever') observation?.update({ output: outputs });
        if (options.trace) otelSpan.setAttribute('langfuse.trace.output', JSON.stringify(outputs));
      },
    };
    const started = performance.now();
    let status = 'success';
    try {
      return await context.with(trace.setSpan(parent, otelSpan), () => work(run));
    } catch (error) {
      status = 'error';
      record.error = error instanceof Error ? error.message : String(error);
      otelSpan.setAttribute('error.type', errorType(error));
      otelSpan.setStatus({ code: SpanStatusCode.ERROR, message: record.error });
      observation?.update({ level: 'ERROR', statusMessage: record.error });
      throw error;
    } finally {
      otelSpan.end();
      record.endedAt = Date.now();
      metrics.agentDuration.observe({
        labels: { agent: options.name, status },
        value: (performance.now() - started) / 1000,
        exemplarLabels: { trace_id: traceId },
      });
      for (const observer of observers) observer.onAgentEnd?.(record);
    }
  };
}

export type RunAgent = ReturnType<typeof createAgentTelemetry>;

/** The same runner, naming the model provider on every agent span it opens. */
export const withAgentProvider =
  (runAgent: RunAgent, provider: string): RunAgent =>
  (options, work) =>
    runAgent({ provider, ...options }, work);

/** A bounded `error.type`: the model error's kind, else the error's class name, else `_OTHER`. */
function errorType(error: unknown): string {
  if (error instanceof LlmError) return error.type;
  return error instanceof Error ? error.constructor.name : '_OTHER';
}
