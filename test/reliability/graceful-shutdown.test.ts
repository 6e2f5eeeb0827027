import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSinks, type FakeSinks } from '../helpers/fake-sinks.js';
import { postJson } from '../helpers/http-client.js';
import { startService, type ServiceProcess } from '../helpers/service-process.js';
import { pollUntil } from '../fakes/http-fake.js';

// SIGTERM while queries wait on the model and three sinks hang: the in-flight queries finish, new ones
// are refused, LangFuse (healthy) gets every generation, and the hanging sinks cannot hold the exit
// past the shutdown budget. Default export timeouts on purpose: the bound must hold as shipped. The budget
// is set to 8 s, well under its 25 s default, so that a hanging sink holding the exit would show.
const shutdownBudgetMs = 8000;
const inFlight = 8;
const modelLatencyMs = 1500;

let sinks: FakeSinks;
let service: ServiceProcess;

beforeAll(async () => {
  sinks = await startFakeSinks({ loki: true, gemini: { latencyMs: modelLatencyMs } });
  service = await startService({ ...sinks.env, RATE_LIMIT_PER_MINUTE: '0', SHUTDOWN_TIMEOUT_MS: String(shutdownBudgetMs) });
});
afterAll(async () => {
  service?.kill();
  await sinks?.close();
});

describe('graceful shutdown under load with hanging sinks', () => {
  it('finishes in-flight queries, refuses new ones, flushes LangFuse and exits 0 within the budget', async () => {
    await Promise.all((['otlp', 'langsmith', 'loki'] as const).map((sink) => sinks.setMode(sink, 'hang')));
    const queries = Array.from({ length: inFlight }, (_, i) =>
      postJson(service.url, '/api/query', { query: `What is retrieval-augmented generation? (${i})` }).then(async (response) => ({
        status: response.status,
        body: (await response.json()) as { metadata?: { trace_id: string } },
      })),
    );
    // Every query has reached the model (which takes modelLatencyMs to answer) before the signal.
    await pollUntil(() => sinks.gemini.calls.length, (calls) => calls >= inFlight, 5000, (calls) => `model calls: ${calls}`);
    const stopping = service.stop('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));

    const late = await postJson(service.url, '/api/query', { query: 'too late' }).then(
      (response) => response.status,
      (error: Error) => (error.cause as { code?: string } | undefined)?.code ?? error.message,
    );
    expect([503, 'ECONNREFUSED']).toContain(late);

    const answered = await Promise.all(queries);
    expect(answered.map((answer) => answer.status)).toEqual(Array.from({ length: inFlight }, () => 200));

    const exit = await stopping;
    expect(exit.code, service.lines.slice(-20).join('\n')).toBe(0);
    // The drain (one model round trip) is part of the budget; 2 s of slack for the process to end.
    expect(exit.durationMs).toBeLessThan(shutdownBudgetMs + 2000);

    const traceIds = answered.map((answer) => answer.body.metadata?.trace_id);
    const generations = sinks.langfuse.observations().filter((o) => o.type === 'generation');
    expect(generations.map((generation) => generation.traceId).sort()).toEqual([...traceIds].sort());
  }, 30_000);
});
