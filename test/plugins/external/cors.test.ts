import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../helpers/app.js';

const allowed = 'https://app.example.com';
const refused = 'https://evil.example.net';
let service: TestApp | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

const preflight = (origin: string) =>
  service!.app.inject({
    method: 'OPTIONS',
    url: '/api/query',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
  });

const corsHeaders = (headers: Record<string, unknown>) => Object.keys(headers).filter((name) => name.startsWith('access-control-'));

describe('CORS (CORS_ORIGINS)', () => {
  it('answers a preflight from a listed origin with the allowed methods and headers, Authorization included', async () => {
    service = await startTestApp({ CORS_ORIGINS: `${allowed},http://localhost:5173`, API_KEYS: 'web:key-w' });
    const response = await preflight(allowed);
    expect(response.statusCode).toBe(204);
    expect(response.headers).toMatchObject({
      'access-control-allow-origin': allowed,
      'access-control-allow-methods': 'GET, POST',
      'access-control-allow-headers': 'Authorization, Content-Type',
      'access-control-max-age': '600',
      vary: expect.stringContaining('Origin'),
    });
    expect(response.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('gives an unlisted origin no CORS headers, on the preflight and on the request itself', async () => {
    service = await startTestApp({ CORS_ORIGINS: allowed });
    expect(corsHeaders((await preflight(refused)).headers)).toEqual([]);
    const post = await service.app.inject({ method: 'POST', url: '/api/query', headers: { origin: refused }, payload: { query: 'what is RAG?' } });
    expect(corsHeaders(post.headers)).toEqual([]);
  });

  it('lets a listed origin read the answer of a cross-origin POST, and its errors', async () => {
    service = await startTestApp({ CORS_ORIGINS: allowed, API_KEYS: 'web:key-w' });
    const post = (authorization?: string) =>
      service!.app.inject({
        method: 'POST',
        url: '/api/query',
        headers: { origin: allowed, ...(authorization ? { authorization } : {}) },
        payload: { query: 'what is RAG?' },
      });
    const answered = await post('Bearer key-w');
    expect(answered.statusCode).toBe(200);
    expect(answered.headers['access-control-allow-origin']).toBe(allowed);
    expect(answered.headers['access-control-expose-headers']).toContain('Retry-After');
    const unauthorized = await post();
    expect(unauthorized.statusCode).toBe(401);
    expect(unauthorized.headers['access-control-allow-origin']).toBe(allowed);
  });

  it('allows no origin by default', async () => {
    service = await startTestApp();
    expect(corsHeaders((await preflight(allowed)).headers)).toEqual([]);
  });
});

describe('Content-Security-Policy', () => {
  it('allows only the service’s own origin and no inline script, on answers and errors', async () => {
    service = await startTestApp();
    for (const response of [await service.app.inject({ url: '/healthz' }), await service.app.inject({ url: '/nope' })]) {
      const policy = String(response.headers['content-security-policy']);
      expect(policy).toContain("default-src 'self'");
      expect(policy).toContain("script-src 'self';");
      expect(policy).toContain("frame-ancestors 'none'");
      expect(policy).not.toContain('unsafe-inline');
      expect(policy).not.toContain('unsafe-eval');
    }
  });

  it('lets Swagger UI on /docs use inline styles, and nothing more', async () => {
    service = await startTestApp();
    const docs = await service.app.inject({ url: '/docs' });
    expect(docs.statusCode).toBe(200);
    const policy = String(docs.headers['content-security-policy']);
    expect(policy).toContain("style-src 'self' 'unsafe-inline'");
    expect(policy).toContain("script-src 'self';");
  });
});
