import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

// The defaults that protect the service when nobody sets them. A change to any of them is a decision
// to make in the README's table and here, not a side effect.
describe('protective defaults', () => {
  it('pins every limit, timeout and retry setting of an empty environment', () => {
    const config = loadConfig({});
    expect(config.security).toMatchObject({ bodyLimitBytes: 65_536, rateLimitPerMinute: 120, apiKeys: [], metricsPort: 0 });
    expect(config.llm).toMatchObject({
      timeoutMs: 30_000,
      maxRetries: 2,
      retryBaseMs: 500,
      retryMaxDelayMs: 10_000,
      circuitFailures: 5,
      circuitResetMs: 30_000,
      maxOutputTokens: 1024,
      temperature: 0.2,
      models: { simple: 'gemini-2.5-flash-lite', medium: 'gemini-2.5-flash', complex: 'gemini-2.5-pro' },
    });
    expect(config.telemetry).toMatchObject({ exportTimeoutMs: 5000, queueSize: 2048, captureContent: false, redactPatterns: [] });
    expect(config.shutdownTimeoutMs).toBe(8000);
  });

  describe('in the app built from them', () => {
    let testApp: TestApp;
    beforeAll(async () => {
      // The service's defaults, not the test helper's (which turns the rate limit off).
      const serviceDefaults = { RATE_LIMIT_PER_MINUTE: undefined, LOG_LEVEL: 'silent' };
      testApp = await startTestApp(serviceDefaults);
    });
    afterAll(() => testApp?.close());

    it('gives Fastify the body limit and bounded request, connection and keep-alive timeouts', () => {
      expect(testApp.app.initialConfig).toMatchObject({
        bodyLimit: 65_536,
        requestTimeout: 120_000,
        connectionTimeout: 130_000,
        keepAliveTimeout: 72_000,
      });
    });

    it('answers 413 one byte above the body limit and accepts a body at it', async () => {
      const bodyOf = (size: number) => {
        const start = '{"query":"what is RAG?","pad":"';
        return `${start}${'x'.repeat(size - start.length - 2)}"}`;
      };
      const send = (payload: string) =>
        testApp.app.inject({ method: 'POST', url: '/api/query', headers: { 'content-type': 'application/json' }, payload });
      const over = await send(bodyOf(65_537));
      expect(over.statusCode).toBe(413);
      expect(over.json()).toMatchObject({ error: 'payload_too_large', message: expect.any(String) });
      expect((await send(bodyOf(65_536))).statusCode).not.toBe(413);
    });

    it('limits a user to 120 queries a minute', async () => {
      const ask = () => testApp.app.inject({ method: 'POST', url: '/api/query', payload: { query: 'what is RAG?', user_id: 'limit-probe' } });
      for (let i = 0; i < 120; i += 1) expect((await ask()).statusCode).toBe(200);
      expect((await ask()).statusCode).toBe(429);
    });
  });
});
