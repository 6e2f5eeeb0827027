import { Client } from 'langsmith';
import { vi } from 'vitest';
import type { FailureReporter } from '../../src/telemetry/support/failure-reporter.js';
import { createLangSmithSink, type LangSmithSinkOptions } from '../../src/telemetry/sinks/langsmith/index.js';
import type { LangSmithFake } from '../fakes/langsmith.js';

/** A LangSmith sink posting to `fake`, with a spy reporter; flushes only when a test asks. */
export function observeLangSmith(fake: LangSmithFake, apiKey: string, overrides: Partial<LangSmithSinkOptions> = {}) {
  const reporter = { exportFailed: vi.fn(), dropped: vi.fn(), internalError: vi.fn() };
  const settings = { apiKey, endpoint: fake.url, project: 'observer-test' };
  // No retries (runs or feedback), so that a failing endpoint is counted at once.
  const client = new Client({ apiUrl: fake.url, apiKey, autoBatchTracing: false, callerOptions: { maxRetries: 0 }, timeout_ms: 2000 });
  const observer = createLangSmithSink({
    settings,
    environment: 'test',
    reporter: reporter as unknown as FailureReporter,
    requestTimeoutMs: 2000,
    flushIntervalMs: 60_000,
    retries: 0,
    client,
    ...overrides,
  });
  return { observer, reporter };
}
