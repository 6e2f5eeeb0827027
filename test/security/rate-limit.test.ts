import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';

// Limits follow who is really calling (the API key, else the address), never a name the client picks.
const limit = 3;
let service: TestApp | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

async function start(env: Record<string, string>) {
  service = await startTestApp(env);
  return service;
}

interface Call {
  body?: Record<string, unknown>;
  from?: string;
  key?: string;
  headers?: Record<string, string>;
}

const query = ({ body = {}, from = '10.0.0.1', key, headers = {} }: Call = {}) =>
  service!.app.inject({
    method: 'POST',
    url: '/api/query',
    remoteAddress: from,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    payload: { query: 'what is RAG?', ...body },
  });

async function statuses(count: number, call: (i: number) => Call) {
  const seen: number[] = [];
  for (let i = 0; i < count; i += 1) seen.push((await query(call(i))).statusCode);
  return seen;
}

const times = (count: number, status: number) => Array.from({ length: count }, () => status);

describe('RATE_LIMIT_PER_MINUTE, per caller', () => {
  it('limits an address whatever user_id it sends, answers 429 with Retry-After, and leaves other addresses alone', async () => {
    await start({ RATE_LIMIT_PER_MINUTE: String(limit) });
    expect(await statuses(limit + 2, (i) => ({ body: { user_id: `user-${i}` } }))).toEqual([...times(limit, 200), 429, 429]);
    const refused = await query({ body: { user_id: 'someone-new' } });
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.json()).toMatchObject({ error: 'rate_limited', message: expect.stringContaining(`${limit} requests per minute`) });
    expect((await query({ from: '10.0.0.2', body: { user_id: 'user-0' } })).statusCode).toBe(200);
  });

  it('with API keys on, limits each key however user_id rotates, and one key never uses up another', async () => {
    await start({ RATE_LIMIT_PER_MINUTE: String(limit), API_KEYS: 'alpha:key-a,beta:key-b' });
    // The probe: one key, a new user_id on every request.
    expect(await statuses(limit + 3, (i) => ({ key: 'key-a', body: { user_id: `rotating-${i}` } }))).toEqual([...times(limit, 200), 429, 429, 429]);
    // Same address, another key: its own quota.
    expect(await statuses(limit, () => ({ key: 'key-b' }))).toEqual(times(limit, 200));
  });

  it('counts malformed requests against the caller, so a flood of bad bodies is limited too', async () => {
    await start({ RATE_LIMIT_PER_MINUTE: String(limit) });
    for (let i = 0; i < limit; i += 1) {
      const broken = await service!.app.inject({ method: 'POST', url: '/api/query', remoteAddress: '10.0.0.3', headers: { 'content-type': 'application/json' }, payload: '{"query":' });
      expect(broken.statusCode).toBe(400);
    }
    expect((await query({ from: '10.0.0.3' })).statusCode).toBe(429);
  });

  it('never limits health probes or metrics scrapes', async () => {
    await start({ RATE_LIMIT_PER_MINUTE: String(limit) });
    for (let i = 0; i < limit * 3; i += 1) {
      for (const url of ['/healthz', '/readyz', '/metrics']) {
        expect((await service!.app.inject({ url, remoteAddress: '10.0.0.2' })).statusCode, url).toBe(200);
      }
    }
  });
});

describe('RATE_LIMIT_PER_USER_PER_MINUTE, per (caller, user_id)', () => {
  it('limits one user within a key, and naming that user under another key does not lock them out', async () => {
    await start({ RATE_LIMIT_PER_MINUTE: '100', RATE_LIMIT_PER_USER_PER_MINUTE: String(limit), API_KEYS: 'attacker:key-x,victim-app:key-v' });
    // The lockout: requests naming victim1 under another key.
    expect(await statuses(limit + 2, () => ({ key: 'key-x', body: { user_id: 'victim1' } }))).toEqual([...times(limit, 200), 429, 429]);
    expect((await query({ key: 'key-x', body: { user_id: 'someone-else' } })).statusCode).toBe(200);
    expect((await query({ key: 'key-v', body: { user_id: 'victim1' } })).statusCode).toBe(200);
    const feedback = await service!.app.inject({
      method: 'POST',
      url: '/api/feedback',
      headers: { authorization: 'Bearer key-v' },
      payload: { trace_id: '0123456789abcdef0123456789abcdef', is_helpful: true, user_id: 'victim1', feedback_token: 'not-issued' },
    });
    expect(feedback.statusCode).toBe(403);
  });
});

describe('refused credentials', () => {
  it('answers 429 instead of 401 once an address has guessed AUTH_FAILURES_PER_MINUTE wrong keys, while valid keys still pass', async () => {
    await start({ API_KEYS: 'alpha:key-a', AUTH_FAILURES_PER_MINUTE: '10' });
    const guesses = await statuses(30, (i) => ({ key: `guess-${i}`, from: '10.0.0.66' }));
    expect(guesses).toEqual([...times(10, 401), ...times(20, 429)]);
    const throttled = await query({ key: 'guess-31', from: '10.0.0.66' });
    expect(throttled.json()).toMatchObject({ error: 'rate_limited', message: expect.stringContaining('refused credentials') });
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
    expect((await query({ key: 'key-a', from: '10.0.0.66' })).statusCode).toBe(200);
    expect((await query({ key: 'guess-0', from: '10.0.0.67' })).statusCode).toBe(401);
  });

  it('throttles guesses of the metrics token the same way', async () => {
    await start({ METRICS_TOKEN: 'scrape-secret', AUTH_FAILURES_PER_MINUTE: '5' });
    const scrape = (authorization: string) =>
      service!.app.inject({ url: '/metrics', remoteAddress: '10.0.0.70', headers: { authorization } });
    const seen: number[] = [];
    for (let i = 0; i < 8; i += 1) seen.push((await scrape(`Bearer guess-${i}`)).statusCode);
    expect(seen).toEqual([...times(5, 401), ...times(3, 429)]);
    expect((await scrape('Bearer scrape-secret')).statusCode).toBe(200);
  });
});

describe('TRUST_PROXY', () => {
  it('takes the client address from X-Forwarded-For only through the configured number of proxies', async () => {
    await start({ RATE_LIMIT_PER_MINUTE: '1', TRUST_PROXY: '1' });
    const viaProxy = (client: string) => ({ from: '10.9.9.9', headers: { 'x-forwarded-for': client } });
    expect((await query(viaProxy('203.0.113.1'))).statusCode).toBe(200);
    expect((await query(viaProxy('203.0.113.2'))).statusCode).toBe(200);
    expect((await query(viaProxy('203.0.113.1'))).statusCode).toBe(429);
    // A client cannot prepend addresses: only the hop the proxy appended is trusted.
    expect((await query(viaProxy('198.51.100.7, 203.0.113.2'))).statusCode).toBe(429);
  });

  it('ignores X-Forwarded-For when no proxy is trusted', async () => {
    await start({ RATE_LIMIT_PER_MINUTE: '1' });
    expect((await query({ from: '10.9.9.9', headers: { 'x-forwarded-for': '203.0.113.1' } })).statusCode).toBe(200);
    expect((await query({ from: '10.9.9.9', headers: { 'x-forwarded-for': '203.0.113.2' } })).statusCode).toBe(429);
  });
});
