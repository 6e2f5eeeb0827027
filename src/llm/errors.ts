import type { TokenUsage } from './usage.js';
import type { LlmErrorType } from './types.js';

const httpStatusByType: Record<LlmErrorType, 502 | 503 | 504> = {
  rate_limited: 503,
  server_error: 502,
  timeout: 504,
  network: 502,
  blocked: 502,
  malformed: 502,
  max_tokens: 502,
  stream_error: 502,
  client_error: 502,
  circuit_open: 503,
  shutting_down: 503,
};

const retryableTypes = new Set<LlmErrorType>(['rate_limited', 'server_error', 'timeout', 'network']);

/** A model failure in the service's terms: what kind, whether a retry may help, and what the client is told. */
export class LlmError extends Error {
  override name = 'LlmError';
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly upstreamStatus?: number;
  readonly usage?: TokenUsage;
  readonly responseModel?: string;

  constructor(
    readonly type: LlmErrorType,
    message: string,
    options: {
      retryable?: boolean;
      retryAfterMs?: number;
      upstreamStatus?: number;
      /** Tokens billed even though the call failed (e.g. MAX_TOKENS spent on thinking). */
      usage?: TokenUsage;
      responseModel?: string;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.retryable = options.retryable ?? retryableTypes.has(type);
    this.retryAfterMs = options.retryAfterMs;
    this.upstreamStatus = options.upstreamStatus;
    this.usage = options.usage;
    this.responseModel = options.responseModel;
  }

  get httpStatus(): 502 | 503 | 504 {
    return httpStatusByType[this.type];
  }
}

/** The caller went away (its signal aborted) before the model finished; nobody is waiting for an answer. */
export class LlmCallCancelled extends Error {
  override name = 'LlmCallCancelled';

  constructor(readonly traceId?: string) {
    super('model call cancelled: the caller went away');
  }
}
