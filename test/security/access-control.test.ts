import { afterEach, describe, expect, it } from 'vitest';
import { startMetricsServer } from '../../src/metrics-server.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { metricValue } from '../helpers/metrics-text.js';
import { freePort } from '../ops/processes.js';

let service: TestApp | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

const query = (headers: Record<string, string> = {}, url = '/api/query') =>
  service!.app.inject({ method: 'POST', url, headers, payload: { query: 'what is RAG?' } });

describe('API keys (API_KEYS)', () => {
  it('answers 401 with a JSON error and WWW-Authenticate unless a configured key is sent as a Bearer token', async () => {
    service = await startTestApp({ API_KEYS: 'key-one, key-two' });
    const refused: Array<Record<string, string>> = [
      {},
      { authorization: 'key-one' },
      { authorization: 'Basic a2V5LW9uZTo=' },
      { authorization: 'Bearer ' },
      { authorization: 'Bearer key-on' },
      { authorization: 'Bearer key-one ' },
      { 'x-api-key': 'key-one' },
    ];
    for (const headers of refused) {
      const response = await query(headers);
      expect(response.statusCode, JSON.stringify(headers)).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer');
      expect(response.json()).toMatchObject({ error: 'unauthorized', message: expect.any(String) });
    }
    // The scheme is case-insensitive (RFC 9110 §11.1); the key is not.
    for (const authorization of ['Bearer key-one', 'bearer key-one', 'BEARER key-two', 'Bearer  key-two']) {
      expect((await query({ authorization })).statusCode, authorization).toBe(200);
    }
    expect((await query({ authorization: 'Bearer KEY-ONE' })).statusCode).toBe(401);
  });

  it('guards every /api route however its path is spelled, and leaves health checks open', async () => {
    service = await startTestApp({ API_KEYS: 'key-one' });
    // The router decodes percent-escapes, so these reach /api/query too.
    for (const url of ['/%61pi/query', '/api/%71uery', '/api/query?x=1']) {
      expect((await query({}, url)).statusCode, url).toBe(401);
    }
    const feedback = await service.app.inject({ method: 'POST', url: '/api/feedback', payload: {} });
    expect(feedback.statusCode).toBe(401);
    expect((await service.app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });

  it('leaves the API open when no key is configured', async () => {
    service = await startTestApp();
    expect((await query()).statusCode).toBe(200);
  });
});

describe('/metrics access', () => {
  it('requires METRICS_TOKEN as a Bearer token when one is set', async () => {
    service = await startTestApp({ METRICS_TOKEN: 'scrape-secret', API_KEYS: 'key-one' });
    expect((await query({ authorization: 'Bearer key-one' })).statusCode).toBe(200);
    for (const authorization of [undefined, 'Bearer wrong', 'Bearer key-one', 'Bearer scrape-secre']) {
      const response = await service.app.inject({ url: '/metrics', headers: authorization ? { authorization } : {} });
      expect(response.statusCode, authorization).toBe(401);
    }
    const allowed = await service.app.inject({ url: '/metrics', headers: { authorization: 'Bearer scrape-secret' } });
    expect(allowed.statusCode).toBe(200);
    expect(metricValue(allowed.body, 'llm_requests_total', { status: 'success' })).toBe(1);
  });

  it('moves /metrics off the public listener when METRICS_PORT is set', async () => {
    const port = await freePort();
    service = await startTestApp({ METRICS_PORT: String(port), HOST: '127.0.0.1' });
    expect((await service.app.inject({ url: '/metrics' })).statusCode).toBe(404);
    expect((await query()).statusCode).toBe(200);
    const metricsServer = await startMetricsServer(service.config, service.telemetry);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(response.status).toBe(200);
      // The same registry as the app's: the query answered above is counted there.
      expect(metricValue(await response.text(), 'llm_requests_total', { status: 'success' })).toBe(1);
    } finally {
      await metricsServer.close();
    }
  });
});

describe('security headers', () => {
  it('sends helmet headers on answers and on errors alike', async () => {
    service = await startTestApp({ API_KEYS: 'key-one' });
    for (const response of [await query({ authorization: 'Bearer key-one' }), await query(), await service.app.inject({ url: '/nope' })]) {
      expect(response.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'SAMEORIGIN',
        'strict-transport-security': expect.stringContaining('max-age='),
        'referrer-policy': 'no-referrer',
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-resource-policy': 'same-origin',
      });
      expect(response.headers['x-powered-by']).toBeUndefined();
    }
  });
});
