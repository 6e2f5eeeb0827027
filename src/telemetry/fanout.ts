import { randomBytes } from 'node:crypto';
import { context, trace, type Context, type Link, type Span } from '@opentelemetry/api';
import type { LlmCallHandle, LlmTelemetryPort } from '../llm/telemetry-port.js';
import type { LlmCallRecord } from '../llm/types.js';
import type { LangfuseSink } from './sinks/langfuse.js';
import type { LogSink } from './sinks/logs.js';
import type { PrometheusSink } from './sinks/prometheus.js';
import type { SpanSink } from './sinks/spans.js';
import type { AgentOptions, AgentRecord, AgentRun, BatchSummary, CostControlSignals, HttpExchange, QueryOutcome, RecordSink, RunAgent, SinkName, UserFeedback } from './types.js';

export interface Sinks {
  spans: SpanSink;
  langfuse: LangfuseSink;
  prometheus: PrometheusSink;
  logs: LogSink;
  langsmith?: RecordSink;
}

/** Runs one sink's write; if it throws, the failure is counted against that sink and the caller goes on. */
export type Guard = <T>(sink: SinkName, write: () => T) => T | undefined;

export function createGuard(onError: (sink: SinkName, error: unknown) => void): Guard {
  return (sink, write) => {
    try {
      return write();
    } catch (error) {
      onError(sink, error);
      return undefined;
    }
  };
}

// When no span could be started, the call and its records still need ids: the parent's trace, a fresh span id.
const fallbackIds = (parent: Context) => ({
  traceId: trace.getSpanContext(parent)?.traceId ?? randomBytes(16).toString('hex'),
  spanId: randomBytes(8).toString('hex'),
});

function idsOf(span: Span | undefined, parent: Context) {
  return span ? span.spanContext() : fallbackIds(parent);
}

/**
 * The one place a description becomes signals: each sink is handed each call, agent, query, feedback and
 * HTTP exchange once, every write inside the guard, so that a throwing sink loses its own signal only.
 * Sinks are looked up at call time (tests replace a sink's method to make it throw).
 */
export function createFanout(sinks: Sinks, guard: Guard) {
  function startLlmCall(...[request, system, serverAddress]: Parameters<LlmTelemetryPort['startLlmCall']>): LlmCallHandle {
    const parent = context.active();
    const parentSpanId = trace.getSpanContext(parent)?.spanId;
    const span = guard('tracing', () => sinks.spans.startGeneration(request, system, serverAddress, parent));
    const generation = span && guard('langfuse', () => sinks.langfuse.observeGeneration(span));
    const { traceId, spanId } = idsOf(span, parent);
    const callContext = span ? trace.setSpan(parent, span) : parent;
    let finished = false;
    return {
      traceId,
      spanId,
      runInContext: (work) => context.with(callContext, work),
      attemptFailed(error, attempt) {
        if (span) guard('tracing', () => sinks.spans.attemptFailed(span, error, attempt));
        guard('prometheus', () => sinks.prometheus.llmAttemptFailed(request.model, error.type));
        context.with(callContext, () => guard('logs', () => sinks.logs.llmAttemptFailed(request.model, attempt, error)));
      },
      finish(record: LlmCallRecord) {
        if (finished) return;
        finished = true;
        if (span) {
          guard('langfuse', () => sinks.langfuse.describeGeneration(generation, record));
          guard('tracing', () => sinks.spans.describeGeneration(span, record));
          guard('tracing', () => sinks.spans.end(span));
        }
        guard('prometheus', () => sinks.prometheus.llmCall(record, system, serverAddress));
        context.with(callContext, () => guard('logs', () => sinks.logs.llmCall(record)));
        if (sinks.langsmith) guard('langsmith', () => sinks.langsmith?.onLlmCall(record, parentSpanId));
      },
    };
  }

  const runAgent: RunAgent = async (options, work) => {
    const parent = context.active();
    const span = guard('tracing', () => sinks.spans.startAgent(options, parent));
    const observation = span && guard('langfuse', () => sinks.langfuse.observeAgent(span, options));
    const { traceId, spanId } = idsOf(span, parent);
    const record = agentRecord(options, traceId, spanId, trace.getSpanContext(parent)?.spanId);
    const run: AgentRun = {
      traceId,
      annotate(attributes) {
        Object.assign(record.metadata as Record<string, unknown>, attributes);
        if (span) guard('tracing', () => sinks.spans.annotate(span, attributes));
        guard('langfuse', () => sinks.langfuse.annotateTrace(observation, options, attributes));
      },
      setOutputs(outputs) {
        record.outputs = outputs;
        guard('langfuse', () => sinks.langfuse.agentOutputs(observation, options, outputs));
      },
    };
    const started = performance.now();
    let status: 'success' | 'error' = 'success';
    try {
      return await context.with(span ? trace.setSpan(parent, span) : parent, () => work(run));
    } catch (error) {
      status = 'error';
      record.error = error instanceof Error ? error.message : String(error);
      const message = record.error;
      if (span) guard('tracing', () => sinks.spans.failed(span, message, error));
      guard('langfuse', () => sinks.langfuse.agentFailed(observation, message));
      throw error;
    } finally {
      if (span) guard('tracing', () => sinks.spans.end(span));
      record.endedAt = Date.now();
      const seconds = (performance.now() - started) / 1000;
      guard('prometheus', () => sinks.prometheus.agentEnded(options.name, status, seconds, traceId));
      if (sinks.langsmith) guard('langsmith', () => sinks.langsmith?.onAgentEnd(record));
    }
  };

  return {
    startLlmCall,
    runAgent,
    recordBreaker(...args: Parameters<LlmTelemetryPort['recordBreaker']>) {
      guard('prometheus', () => sinks.prometheus.breaker(...args));
    },
    recordQuery(outcome: QueryOutcome) {
      guard('prometheus', () => sinks.prometheus.query(outcome));
    },
    recordFeedback(feedback: UserFeedback) {
      // A repeated vote replaces the first in LangFuse and LangSmith; the counter keeps first verdicts only.
      if (feedback.first) guard('prometheus', () => sinks.prometheus.feedback(feedback.helpful, feedback.promptVersion));
      if (sinks.langsmith) guard('langsmith', () => sinks.langsmith?.onFeedback(feedback));
      guard('langfuse', () => sinks.langfuse.feedback(feedback));
      guard('logs', () => sinks.logs.feedback(feedback));
    },
    recordHttp(exchange: HttpExchange) {
      guard('prometheus', () => sinks.prometheus.http(exchange));
    },
    recordPromptLoaded(version: number) {
      guard('prometheus', () => sinks.prometheus.promptLoaded(version));
    },
    recordPromptFallback(reason: string) {
      guard('prometheus', () => sinks.prometheus.promptFallback(reason));
    },
    ...costControlSignals(sinks, guard),
    recordBudgetLimit(limitUsd: number) {
      guard('prometheus', () => sinks.prometheus.serviceBudget(limitUsd, 0));
    },
    batchItemTrace(): { links: Link[]; runIn<T>(work: () => T): T } {
      const batchContext = context.active();
      const batchSpan = trace.getSpanContext(batchContext);
      const itemContext = trace.deleteSpan(batchContext);
      return { links: batchSpan ? [{ context: batchSpan }] : [], runIn: (work) => context.with(itemContext, work) };
    },
    recordBatch(summary: BatchSummary) {
      const batchContext = context.active();
      guard('prometheus', () => sinks.prometheus.batch(summary));
      guard('langfuse', () => sinks.langfuse.batchProcessed(summary, batchContext));
    },
  };
}

/** What the response cache, the budgets and the shared state report: counted, and store failures logged at debug. */
function costControlSignals(sinks: Sinks, guard: Guard): CostControlSignals {
  return {
    cacheResult: (result) => void guard('prometheus', () => sinks.prometheus.cacheResult(result)),
    budgetRejected: (scope) => void guard('prometheus', () => sinks.prometheus.budgetRejected(scope)),
    serviceSpent: (usd) => void guard('prometheus', () => sinks.prometheus.serviceBudget(undefined, usd)),
    sharedStateError(component, operation, error) {
      guard('prometheus', () => sinks.prometheus.sharedStateError(component));
      guard('logs', () => sinks.logs.sharedStateError(component, operation, error));
    },
  };
}

/** The same runner, naming the model provider (`gen_ai.provider.name`) on every agent span it opens. */
export const withAgentProvider =
  (runAgent: RunAgent, provider: string): RunAgent =>
  (options, work) =>
    runAgent({ provider, ...options }, work);

function agentRecord(options: AgentOptions, traceId: string, spanId: string, parentSpanId: string | undefined): AgentRecord {
  return {
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
}
