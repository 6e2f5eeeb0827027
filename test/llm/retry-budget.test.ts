import { describe, expect, it } from 'vitest';
import { longestCallMs } from '../../src/llm/retry-budget.js';

describe('longestCallMs', () => {
  it('counts every attempt at its timeout and both capped waits before each retry, up to the deadline', () => {
    // 3 attempts of 30 s, and before each of the 2 retries a RetryInfo wait and a backoff of at most 10 s.
    expect(longestCallMs({ timeoutMs: 30_000, maxRetries: 2, retryMaxDelayMs: 10_000, deadlineMs: 600_000 })).toBe(130_000);
    expect(longestCallMs({ timeoutMs: 5_000, maxRetries: 0, retryMaxDelayMs: 10_000, deadlineMs: 600_000 })).toBe(5_000);
    // The call's deadline ends it first.
    expect(longestCallMs({ timeoutMs: 30_000, maxRetries: 2, retryMaxDelayMs: 10_000, deadlineMs: 20_000 })).toBe(20_000);
  });
});
