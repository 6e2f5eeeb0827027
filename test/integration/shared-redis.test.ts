import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startGeminiFake, type GeminiFake } from '../fakes/gemini.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { metricValue } from '../helpers/metrics-text.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';

// Two replicas of the service sharing one real redis-server: cache, budgets, rate limit and feedback
// tokens work across them, and each behaves as documented when Redis is frozen or gone.
const callCost = 0.001306;

let redis: RedisServer;
let gemini: GeminiFake;
let replicas: TestApp[] = [];
beforeAll(async () => {
  [redis, gemini] = await Promise.all([startRedisServer(), startGeminiFake({ apiKey: 'test-key' })]);
});
afterEach(async () => {
  redis.resume();
  for (const replica of replicas) await replica.close();
  replicas = [];
  await redis.flush();
});
afterAll(async () => {
  await Promise.all([redis.stop(), gemini.close()]);
});

async function startReplicas(env: Record<string, string> = {}): Promise<[TestApp, TestApp]> {
  const shared = {
    GEMINI_API_KEY: 'test-key',
    GEMINI_BASE_URL: gemini.url,
    REDIS_URL: redis.url,
    REDIS_COMMAND_TIMEOUT_MS: '200',
    FEEDBACK_SECRET: 'shared-between-replicas',
    LLM_RETRY_BASE_MS: '10',
    CACHE_TTL_SECONDS: '3600',
    ...env,
  };
  // Sequential: each start resets the process-global tracer provider.
  const first = await startTestApp(shared);
  const second = await startTestApp(shared);
  replicas = [first, second];
  return [first, second];
}

const ask = (replica: TestApp, query: string, userId?: string) =>
  replica.app.inject({ method: 'POST', url: '/api/query', payload: { query, ...(userId ? { user_id: userId } : {}) } });
const survey = (topic: string) => `What are the latest advances in ${topic}?`;
const modelCalls = () => gemini.calls.length;

describe('two replicas sharing one Redis', () => {
  it('serve each other cache hits and accept each other feedback tokens', async () => {
    const [a, b] = await startReplicas();
    const before = modelCalls();
    const first = await ask(a, survey('shared caches'), 'u1');
    const second = await ask(b, survey('shared caches'), 'u1');
    expect(modelCalls() - before).toBe(1);
    expect(first.json().metadata.cache).toEqual({ hit: false });
    expect(second.json().metadata).toMatchObject({ cost_usd: 0, cache: { hit: true, saved_usd: callCost } });
    expect(metricValue(await b.metricsText(), 'llm_cost_saved_usd_total')).toBeCloseTo(callCost, 12);

    const feedback = await b.app.inject({
      method: 'POST',
      url: '/api/feedback',
      payload: { trace_id: first.json().metadata.trace_id, is_helpful: true, user_id: 'u1', feedback_token: first.json().metadata.feedback_token },
    });
    expect(feedback.statusCode).toBe(200);
    expect((await a.app.inject({ url: '/readyz' })).json().checks).toMatchObject({ redis: true });
  });

  it('make one model call for identical concurrent queries spread over both', async () => {
    const [a, b] = await startReplicas();
    const before = modelCalls();
    const responses = await Promise.all(Array.from({ length: 10 }, (_, index) => ask(index % 2 ? a : b, survey('stampedes'))));
    expect(responses.map((response) => response.statusCode)).toEqual(Array(10).fill(200));
    expect(modelCalls() - before).toBe(1);
  });

  it('enforce one caller budget across both', async () => {
    const [a, b] = await startReplicas({ BUDGET_USD_PER_DAY_PER_CALLER: '0.01' });
    let spent = 0;
    let refused;
    for (let index = 0; index < 20 && !refused; index += 1) {
      const response = await ask(index % 2 ? a : b, survey(`budget topic ${index}`), `user-${index}`);
      if (response.statusCode === 200) spent += response.json().metadata.cost_usd;
      else refused = response;
    }
    expect(refused?.statusCode).toBe(429);
    expect(refused?.json()).toMatchObject({ error: 'budget_exceeded', scope: 'caller' });
    expect(spent).toBeGreaterThan(0.005);
    expect(spent).toBeLessThanOrEqual(0.01);
  });

  it('count the rate limit across both', async () => {
    const [a, b] = await startReplicas({ RATE_LIMIT_PER_MINUTE: '4' });
    const statuses = [];
    for (const replica of [a, b, a, b, a]) statuses.push((await ask(replica, survey('rate limits'))).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
  });
});

describe('with Redis frozen', () => {
  it('bypasses the cache, fails budgets closed, lets the rate limit through, counting each, and reports it in /readyz', async () => {
    const [a] = await startReplicas({ BUDGET_USD_PER_DAY: '5', RATE_LIMIT_PER_MINUTE: '100' });
    redis.pause();
    const refused = await ask(a, survey('frozen redis'));
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toMatchObject({ error: 'budget_unavailable' });
    expect(refused.headers['retry-after']).toBe('5');
    const metrics = await a.metricsText();
    expect(metricValue(metrics, 'llm_cache_requests_total', { result: 'error' })).toBe(1);
    expect(metricValue(metrics, 'shared_state_errors_total', { component: 'rate_limit' })).toBe(1);
    expect(metricValue(metrics, 'shared_state_errors_total', { component: 'budget' })).toBe(1);
    const ready = await a.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks).toMatchObject({ redis: false });
  });

  it('answers without budgets with BUDGET_FAIL_OPEN=true', async () => {
    const [a] = await startReplicas({ BUDGET_USD_PER_DAY: '5', BUDGET_FAIL_OPEN: 'true' });
    redis.pause();
    const response = await ask(a, survey('fail open'));
    expect(response.statusCode).toBe(200);
    expect(response.json().metadata).toMatchObject({ cost_usd: callCost, cache: { hit: false } });
    const ready = await a.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks).toMatchObject({ redis: false });
  });
});

describe('with Redis restarted', () => {
  it('reconnects by itself', async () => {
    const [a] = await startReplicas({ BUDGET_USD_PER_DAY: '5' });
    await redis.kill();
    expect((await ask(a, survey('restarts'))).statusCode).toBe(503);
    await redis.restart();
    await expect.poll(async () => (await a.app.inject({ url: '/readyz' })).statusCode, { timeout: 10_000, interval: 100 }).toBe(200);
    expect((await ask(a, survey('restarts'))).statusCode).toBe(200);
  });
});
