import { afterAll, expect, it, vi } from 'vitest';
import { startLangSmithFake, type LangSmithFake } from '../fakes/langsmith.js';
import { startTestApp } from '../helpers/app.js';

// A LangSmith that accepts connections and never answers: the SDK's own flush would wait out its
// request timeout and retries (88 s in the notes). Shutdown must return at its deadline regardless.
let langsmith: LangSmithFake | undefined;

afterAll(async () => {
  await langsmith?.close();
});

it('returns from telemetry.shutdown at its timeout while LangSmith hangs, without failing requests', async () => {
  langsmith = await startLangSmithFake({ apiKey: 'ls-hang-key' });
  await langsmith.setMode('hang');
  const { app, telemetry } = await startTestApp({
    LOG_LEVEL: 'silent',
    LANGSMITH_TRACING: 'true',
    LANGSMITH_API_KEY: 'ls-hang-key',
    LANGSMITH_ENDPOINT: langsmith.url,
    TELEMETRY_EXPORT_TIMEOUT_MS: '30000',
  });
  const responses = await Promise.all(
    Array.from({ length: 5 }, () => app.inject({ method: 'POST', url: '/api/query', payload: { query: 'How does vector search work?' } })),
  );
  expect(responses.map((response) => response.statusCode)).toEqual([200, 200, 200, 200, 200]);
  await app.close();

  // Fake timers make the deadline exact. The test's logger needs no share of the budget, so the sinks get
  // all of it: shutdown still waits on LangSmith 1 ms before the deadline, and is done at it.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  try {
    let done = false;
    const shutdown = telemetry.shutdown(1000).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
    await shutdown;
  } finally {
    vi.useRealTimers();
  }
  expect(langsmith.requests.some((request) => request.path === '/runs/multipart' && request.status === undefined)).toBe(true);
  const metrics = await telemetry.metrics.registry.getSingleMetricAsString('telemetry_export_failures_total');
  expect(metrics).toMatch(/sink="langsmith"\} 1\b/);
});
