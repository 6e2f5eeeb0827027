import type { Feedback } from './feedback.js';
import type { LlmCallRecord } from '../llm/types.js';

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

/** Sinks that consume call descriptions directly rather than spans (LangSmith). */
export interface TelemetryObserver {
  onLlmCall?(record: LlmCallRecord, parentSpanId: string | undefined): void;
  onAgentEnd?(record: AgentRecord): void;
  onFeedback?(feedback: Feedback): void;
  flush?(timeoutMs: number): Promise<void>;
}
