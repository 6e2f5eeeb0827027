import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

// The defaults that protect the service when nobody sets them. A change to any of them is a decision
// to make in the README's table and here, not a side effect.
describe('protective defaults', () => {
  it('pins every limit, timeout and retry setting of an empty environment', () => {
    const config = loadConfig({});
    expect(config.security).toMatchObject({
      bodyLimitBytes: 65_536,
      rateLimitPerMinute: 120,
      rateLimitPerUserPerMinute: 0,
      authFailuresPerMinute: 10,
      apiKeys: [],
      metricsPort: 0,
      trustTraceparent: false,
      corsOrigins: [],
      feedbackTokenTtlSeconds: 7 * 24 * 3600,
    });
    expect(config.http).toEqual({ maxConnections: 1024, headersTimeoutMs: 10_000, requestTimeoutMs: 15_000 });
    expect(config.llm).toMatchObject({
      timeoutMs: 15_000,
      deadlineMs: 20_000,
      maxRetries: 2,
      retryBaseMs: 500,
      retryMaxDelayMs: 10_000,
      circuitFailures: 5,
      circuitResetMs: 30_000,
      maxOutputTokens: 1024,
      temperature: 0.2,
      models: { simple: 'gemini-2.5-flash-lite', medium: 'gemini-2.5-flash', complex: 'gemini-2.5-pro' },
    });
    expect(config.telemetry).toMatchObject({ exportTimeoutMs: 5000, queueSize: 2048, queueBytes: 4 * 1024 * 1024, captureContent: false, redactPatterns: [] });
    expect(config.shutdownTimeoutMs).toBe(25_000);
  });

  describe('in the app built from them', () => {
    let testApp: TestApp;
    beforeAll(async () => {
      // The service's defaults, not the test helper's (which turns the rate limit off).
      const serviceDefaults = { RATE_LIMIT_PER_MINUTE: undefined, LOG_LEVEL: 'silent' };
      testApp = await startTestApp(serviceDefaults);
    });
    afterAll(() => testApp?.close());

    it('gives the listener the body limit, bounded timeouts and a connection cap', () => {
      expect(testApp.app.initialConfig).toMatchObject({
        bodyLimit: 65_536,
        requestTimeout: 15_000,
        // Past the model's 20 s deadline, so that a slow answer can still be written.
        connectionTimeout: 30_000,
        keepAliveTimeout: 72_000,
      });
      expect(testApp.app.server.headersTimeout).toBe(10_000);
      expect(testApp.app.server.requestTimeout).toBe(15_000);
      expect(testApp.app.server.maxConnections).toBe(1024);
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

    it('limits a caller to 120 queries a minute', async () => {
      // An address of its own, so that the other tests' requests do not count against it.
      const ask = () => testApp.app.inject({ method: 'POST', url: '/api/query', remoteAddress: '10.9.9.9', payload: { query: 'what is RAG?' } });
      for (let i = 0; i < 120; i += 1) expect((await ask()).statusCode).toBe(200);
      expect((await ask()).statusCode).toBe(429);
    });
  });
});
