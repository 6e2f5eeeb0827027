import type { LlmError } from './errors.js';
import type { LlmCallRecord, LlmRequest } from './types.js';

export type BreakerState = 'closed' | 'half_open' | 'open';

/** One model call in flight, as the telemetry layer tracks it. */
export interface LlmCallHandle {
  readonly traceId: string;
  readonly spanId: string;
  /** Runs `work` inside the call's span, so that what the provider logs carries this call's ids. */
  runInContext<T>(work: () => T): T;
  /** A failed attempt that will be retried: counted and logged now, listed as a span event. */
  attemptFailed(error: LlmError, attempt: number): void;
  /** The call's one description; called exactly once per call. */
  finish(record: LlmCallRecord): void;
}

/**
 * What the LLM client needs from telemetry. Declared here and implemented by src/telemetry, so the client
 * depends on this interface only. Implementations never throw: a failing sink must not fail a call.
 */
export interface LlmTelemetryPort {
  startLlmCall(request: LlmRequest, system: string, serverAddress?: { host: string; port: number }): LlmCallHandle;
  recordBreaker(model: string, state: BreakerState): void;
}
