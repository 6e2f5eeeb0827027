import type { Config } from '../config/index.js';

type RetrySettings = Pick<Config['llm'], 'timeoutMs' | 'maxRetries' | 'retryMaxDelayMs' | 'deadlineMs'>;

/**
 * The longest one call can take under these settings: every attempt runs to its timeout, and before
 * each retry the client waits for Gemini's RetryInfo (capped at the maximum delay) and then for the
 * backoff (capped likewise), unless the call's deadline (LLM_DEADLINE_MS) ends it first.
 */
export const longestCallMs = ({ timeoutMs, maxRetries, retryMaxDelayMs, deadlineMs }: RetrySettings): number =>
  Math.min(deadlineMs, (maxRetries + 1) * timeoutMs + maxRetries * 2 * retryMaxDelayMs);
