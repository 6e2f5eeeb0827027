import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';

const limit = 3;
let service: TestApp;

beforeAll(async () => {
  service = await startTestApp({ RATE_LIMIT_PER_MINUTE: String(limit) });
});
afterAll(() => service?.close());

const query = (body: Record<string, unknown>, remoteAddress = '10.0.0.1') =>
  service.app.inject({ method: 'POST', url: '/api/query', remoteAddress, payload: { query: 'what is RAG?', ...body } });

describe('rate limiting (RATE_LIMIT_PER_MINUTE)', () => {
  it('answers 429 with Retry-After and a JSON error once a user is over the limit, and only that user', async () => {
    for (let i = 0; i < limit; i += 1) expect((await query({ user_id: 'alice' })).statusCode).toBe(200);
    const refused = await query({ user_id: 'alice' });
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.json()).toMatchObject({ error: 'rate_limited', message: expect.stringContaining(`${limit} requests per minute`) });
    // Keyed by user, not by address: alice from elsewhere is still limited, bob from her address is not.
    expect((await query({ user_id: 'alice' }, '10.0.0.99')).statusCode).toBe(429);
    expect((await query({ user_id: 'bob' })).statusCode).toBe(200);
  });

  it('limits requests without a user by client address', async () => {
    for (let i = 0; i < limit; i += 1) expect((await query({}, '10.0.0.2')).statusCode).toBe(200);
    expect((await query({}, '10.0.0.2')).statusCode).toBe(429);
    expect((await query({}, '10.0.0.3')).statusCode).toBe(200);
  });

  it('never limits health probes or metrics scrapes', async () => {
    for (let i = 0; i < limit * 3; i += 1) {
      for (const url of ['/healthz', '/readyz', '/metrics']) {
        expect((await service.app.inject({ url, remoteAddress: '10.0.0.2' })).statusCode, url).toBe(200);
      }
    }
  });
});
