import type { Config } from '../config/index.js';

type RetrySettings = Pick<Config['llm'], 'timeoutMs' | 'maxRetries' | 'retryMaxDelayMs'>;

/**
 * The longest one call can take under these settings: every attempt runs to its timeout, and before
 * each retry the client waits for Gemini's RetryInfo (capped at the maximum delay) and then for the
 * backoff (capped likewise).
 */
export const longestCallMs = ({ timeoutMs, maxRetries, retryMaxDelayMs }: RetrySettings): number =>
  (maxRetries + 1) * timeoutMs + maxRetries * 2 * retryMaxDelayMs;
