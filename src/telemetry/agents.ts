import { LangfuseAgent, LangfuseRetriever, getLangfuseTracer } from '@langfuse/tracing';
import { SpanStatusCode, context, trace, type Attributes, type Link } from '@opentelemetry/api';
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
  trace?: { name: string; userId?: string; sessionId?: string; tags?: string[]; links?: Link[] };
  metadata?: Record<string, unknown>;
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
      { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': options.name }, links: options.trace?.links },
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
        ...(sessionId ? { 'session.id': sessionId } : {}),
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
