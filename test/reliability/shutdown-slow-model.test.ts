import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGeminiFake, type GeminiFake } from '../fakes/gemini.js';
import { pollUntil } from '../fakes/http-fake.js';
import { fakeCredentials } from '../helpers/fake-sinks.js';
import { postJson } from '../helpers/http-client.js';
import { startService, type ServiceProcess } from '../helpers/service-process.js';

// SIGTERM while a model call hangs: instead of being cut off with no answer (and exit 1), the request
// gets a clean 503 once the drain grace is used up, and the process exits 0.
let gemini: GeminiFake;
let service: ServiceProcess;

beforeAll(async () => {
  gemini = await startGeminiFake({ apiKey: fakeCredentials.gemini });
  service = await startService({
    GEMINI_API_KEY: fakeCredentials.gemini,
    GEMINI_BASE_URL: gemini.url,
    // A model deadline past the shutdown budget, so that only the shutdown stop can end the call.
    LLM_TIMEOUT_MS: '60000',
    LLM_DEADLINE_MS: '60000',
    SHUTDOWN_TIMEOUT_MS: '4000',
    RATE_LIMIT_PER_MINUTE: '0',
  });
});
afterAll(async () => {
  service?.kill();
  await gemini?.close();
});

describe('SIGTERM during a slow model call', () => {
  it('answers the waiting request 503 shutting_down and exits 0', async () => {
    gemini.enqueue({ kind: 'hang' });
    const waiting = postJson(service.url, '/api/query', { query: 'What is retrieval-augmented generation?' }).then(async (response) => ({
      status: response.status,
      body: (await response.json()) as Record<string, unknown>,
    }));
    await pollUntil(() => gemini.calls.length, (calls) => calls >= 1, 5000, (calls) => `model calls: ${calls}`);
    const stopping = service.stop('SIGTERM');

    const answer = await waiting;
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual({ error: 'shutting_down', message: expect.any(String), trace_id: expect.stringMatching(/^[0-9a-f]{32}$/) });
    const exit = await stopping;
    expect(exit.code, service.lines.slice(-20).join('\n')).toBe(0);
    expect(gemini.calls).toHaveLength(1);
  }, 30_000);
});
