import type { PricedCall } from './pricing.js';
import type { TokenUsage } from './usage.js';

export interface PromptRef {
  name: string;
  version: number;
  /** The local file's version served because LangFuse could not serve it. */
  isFallback?: boolean;
}

/** A passage the model may cite; the offline provider answers from these alone. */
export interface SourcePassage {
  id: string;
  title: string;
  year: number;
  summary: string;
}

/** What an agent asks of the model. Everything any sink records about a call starts here. */
export interface LlmRequest {
  model: string;
  system: string;
  prompt: string;
  promptRef: PromptRef;
  temperature: number;
  maxOutputTokens: number;
  stream?: boolean;
  passages: SourcePassage[];
}

export interface ProviderResponse {
  text: string;
  finishReason: string;
  usage: TokenUsage;
  /** The model that actually served the call (Gemini's modelVersion); it decides the price. */
  responseModel?: string;
  responseId?: string;
}

/** One piece of a streamed answer, with the usage the model has reported so far. */
export interface StreamChunk {
  text: string;
  usage?: TokenUsage;
  responseModel?: string;
}

export interface LlmProvider {
  /** Value of gen_ai.provider.name. */
  readonly system: string;
  readonly serverAddress?: { host: string; port: number };
  generate(request: LlmRequest, signal: AbortSignal): Promise<ProviderResponse>;
  /** Streams the answer: every chunk goes to `onChunk` as it arrives; resolves with the whole response. */
  stream(request: LlmRequest, signal: AbortSignal, onChunk: (chunk: StreamChunk) => void): Promise<ProviderResponse>;
}

/** Bounded set of failure kinds: they become metric labels and span `error.type`. */
export type LlmErrorType =
  | 'rate_limited'
  | 'server_error'
  | 'timeout'
  | 'network'
  | 'blocked'
  | 'malformed'
  | 'max_tokens'
  | 'stream_error'
  | 'client_error'
  | 'circuit_open'
  | 'shutting_down';

/** Whether the answer came from the response cache, and what the original call cost. */
export type CacheInfo =
  | { hit: false }
  | {
      hit: true;
      ageSeconds: number;
      /** What the cached answer's original call cost (null when its model is unpriced). */
      savedUsd: number | null;
      /** Trace of the call that paid for the answer. */
      originTraceId: string;
    };

/**
 * The one description of a finished model call. The client builds it once; the telemetry layer turns
 * it into the span/generation, metrics, the log line and the LangSmith run, so they cannot disagree.
 */
export interface LlmCallRecord {
  request: LlmRequest;
  provider: string;
  /** `cancelled`: the caller went away mid-call; the usage is what the model had reported by then. */
  status: 'success' | 'error' | 'cancelled';
  response?: ProviderResponse;
  usage: TokenUsage;
  cost: PricedCall;
  startedAt: number;
  latencyMs: number;
  /** Streamed calls only: from the start of the call to the model's first chunk. */
  timeToFirstChunkMs?: number;
  attempts: number;
  error?: { type: LlmErrorType; message: string };
  traceId: string;
  spanId: string;
  /** Absent when the cache is off; a hit has zero usage and cost because nothing was billed. */
  cache?: CacheInfo;
}
