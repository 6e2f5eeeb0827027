import type { Link } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { CostControlEvents } from '../llm/cost-controls-factory.js';
import type { LlmTelemetryPort } from '../llm/telemetry-port.js';
import type { LlmCallRecord } from '../llm/types.js';

/** Every sink the telemetry layer writes to; `telemetry_internal_errors_total{sink}` uses these names. */
export const sinkNames = ['tracing', 'langfuse', 'prometheus', 'logs', 'langsmith'] as const;
export type SinkName = (typeof sinkNames)[number];

/** A finished agent run, described once for every sink that wants more than the span. */
export interface AgentRecord {
  name: string;
  kind: 'chain' | 'retriever';
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  startedAt: number;
  endedAt: number;
  inputs: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  error?: string;
  metadata?: Record<string, unknown>;
  tags?: string[];
  /** Set on the root agent only: ending it completes the trace, and it carries the user and session. */
  trace?: { name: string; userId?: string; sessionId?: string };
}

/** Attribute values an agent may annotate its run with (never raw content). */
export type AgentAttributes = Record<string, string | number | boolean | undefined>;

export interface AgentRun {
  /** Attributes for this agent's span (and LangFuse observation); none may hold raw content. */
  annotate(attributes: AgentAttributes): void;
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
  /** `gen_ai.provider.name` of the model provider the agents use (required on agent spans). */
  provider?: string;
}

export type RunAgent = <T>(options: AgentOptions, work: (run: AgentRun) => Promise<T>) => Promise<T>;

export interface QueryOutcome {
  /** `cancelled`: the client went away before the answer was complete. */
  status: 'success' | 'error' | 'cancelled';
  queryType?: string;
  costUsd?: number | null;
  retrievedDocs?: number;
  averageRelevance?: number;
  sessionKey?: string;
  traceId: string;
  /** The prompt version that answered, and the time it took: query_duration_seconds{prompt_version}. */
  promptVersion?: number;
  durationSeconds?: number;
}

/** Thumbs up or down on an answer, as /api/feedback accepted it. */
export interface UserFeedback {
  /** The same for every vote of one user on one answer: sinks update rather than add. */
  id: string;
  traceId: string;
  helpful: boolean;
  comment?: string;
  userId?: string;
  /** False when this vote replaces an earlier one. */
  first: boolean;
  /** The prompt version of the answer, from its signed feedback token. */
  promptVersion: number;
}

/** One finished HTTP exchange; `route` is the route template, never the raw URL. */
export interface HttpExchange {
  route: string;
  method: string;
  statusCode: number;
  durationSeconds: number;
  traceId?: string;
}

/** One finished POST /api/batch. */
export interface BatchSummary {
  batchId: string;
  size: number;
  succeeded: number;
  failed: number;
  /** Each item's own latency, in milliseconds. */
  itemLatenciesMs: number[];
}

export type CostControlSignals = CostControlEvents;

export interface RenderedMetrics {
  contentType: string;
  body: string;
}

/**
 * The one interface the app uses: the LLM client's port, agent runs, query, feedback and HTTP outcomes,
 * the /metrics rendering and the logger. No caller sees a sink; every method that records is guarded, so
 * a sink's failure never reaches the caller.
 */
export interface Telemetry extends LlmTelemetryPort, CostControlEvents {
  readonly logger: Logger;
  /** Sinks the configuration turned on (otlp, langfuse, langsmith, loki); Prometheus and stdout always are. */
  readonly exportSinks: readonly string[];
  runAgent: RunAgent;
  recordQuery(outcome: QueryOutcome): void;
  recordFeedback(feedback: UserFeedback): void;
  recordHttp(exchange: HttpExchange): void;
  /** A prompt version is now served (at start-up or after a refresh). */
  recordPromptLoaded(version: number): void;
  /** A request was served the local prompt file because LangFuse could not serve it (bounded reason). */
  recordPromptFallback(reason: string): void;
  /** The service's daily budget, when one is set (budget_limit_usd{scope="service"}). */
  recordBudgetLimit(limitUsd: number): void;
  /**
   * Called in the batch's context: where a batch item runs, a new trace (so feedback works per item)
   * whose root span links to the batch's span; context values other than the span carry over.
   */
  batchItemTrace(): { links: Link[]; runIn<T>(work: () => T): T };
  /** Called in the batch's context: `batch_size`, `batch_items_total{status}` and LangFuse's `batch_processed` event. */
  recordBatch(summary: BatchSummary): void;
  renderMetrics(openMetrics: boolean): Promise<RenderedMetrics>;
  /** Flushes every sink, returning within `timeoutMs` whatever hangs. */
  shutdown(timeoutMs: number): Promise<void>;
}

/** Sinks that consume descriptions rather than spans (LangSmith). */
export interface RecordSink {
  onLlmCall(record: LlmCallRecord, parentSpanId: string | undefined): void;
  onAgentEnd(record: AgentRecord): void;
  onFeedback(feedback: UserFeedback): void;
  flush(timeoutMs: number): Promise<void>;
}
