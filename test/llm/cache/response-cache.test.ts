import { describe, expect, it } from 'vitest';
import { createRedisCacheStore } from '../../../src/llm/cache/redis-store.js';
import { createResponseCache, type CacheResult, type FreshCall } from '../../../src/llm/cache/response-cache.js';
import { createMemoryCacheStore, type CachedAnswer, type CacheStore } from '../../../src/llm/cache/store.js';
import { useRedisServer } from '../../helpers/redis-per-file.js';

const redis = useRedisServer();
const redisClient = () => redis.client();

const settings = { ttlSeconds: 60, lockMs: 2000, lockWaitMs: 2000, pollMs: 10 };

/** A fake model call: counts calls, answers after `delayMs` with the given finish reason. */
function modelCall(options: { finishReason?: string; delayMs?: number; fail?: boolean } = {}) {
  let calls = 0;
  const fresh: FreshCall<CachedAnswer> = {
    async call() {
      calls += 1;
      await new Promise((resolve) => setTimeout(resolve, options.delayMs ?? 0));
      if (options.fail) throw new Error('model failed');
      return {
        text: `answer ${calls}`,
        finishReason: options.finishReason ?? 'STOP',
        usage: { input: 1000, cached: 200, output: 300, reasoning: 100, total: 1600 },
        requestedModel: 'gemini-2.5-flash',
        responseModel: 'gemini-2.5-flash',
        traceId: 'a'.repeat(32),
        storedAt: Date.now(),
      };
    },
    storable: (answer) => (answer.finishReason === 'STOP' ? answer : undefined),
  };
  return { fresh, calls: () => calls };
}

function recorder() {
  const results: CacheResult[] = [];
  return { results, events: { onResult: (result: CacheResult) => results.push(result) } };
}

const stores: Array<[string, () => Promise<CacheStore>]> = [
  ['memory', async () => createMemoryCacheStore(100, 60)],
  ['redis', async () => createRedisCacheStore(await redisClient())],
];

describe.each(stores)('response cache (%s store)', (_kind, makeStore) => {
  it('answers the second identical request from the cache without a model call', async () => {
    const { results, events } = recorder();
    const cache = createResponseCache(await makeStore(), settings, events);
    const model = modelCall();
    const first = await cache.run('k1', 'default', model.fresh);
    const second = await cache.run('k1', 'default', model.fresh);
    expect(first.hit).toBe(false);
    expect(second).toMatchObject({ hit: true, answer: { text: 'answer 1', usage: { input: 1000 } } });
    expect(model.calls()).toBe(1);
    expect(results).toEqual(['miss', 'hit']);
  });

  it.each(['MAX_TOKENS', 'SAFETY'])('never stores an answer that finished with %s', async (finishReason) => {
    const cache = createResponseCache(await makeStore(), settings);
    const model = modelCall({ finishReason });
    await cache.run('k2', 'default', model.fresh);
    await cache.run('k2', 'default', model.fresh);
    expect(model.calls()).toBe(2);
  });

  it('never stores a failed call', async () => {
    const cache = createResponseCache(await makeStore(), settings);
    const failing = modelCall({ fail: true });
    await expect(cache.run('k3', 'default', failing.fresh)).rejects.toThrow('model failed');
    const model = modelCall();
    expect((await cache.run('k3', 'default', model.fresh)).hit).toBe(false);
    expect(model.calls()).toBe(1);
  });

  it('no-cache skips the lookup but stores the fresh answer; no-store neither reads nor writes', async () => {
    const { results, events } = recorder();
    const cache = createResponseCache(await makeStore(), settings, events);
    const model = modelCall();
    await cache.run('k4', 'default', model.fresh);
    const refreshed = await cache.run('k4', 'no-cache', model.fresh);
    expect(refreshed.hit).toBe(false);
    expect(await cache.run('k4', 'default', model.fresh)).toMatchObject({ hit: true, answer: { text: 'answer 2' } });
    const unstored = await cache.run('k4', 'no-store', model.fresh);
    expect(unstored.hit).toBe(false);
    expect(await cache.run('k4', 'default', model.fresh)).toMatchObject({ hit: true, answer: { text: 'answer 2' } });
    expect(model.calls()).toBe(3);
    expect(results).toEqual(['miss', 'bypass', 'hit', 'bypass', 'hit']);
  });

  it('makes one model call for ten concurrent identical requests', async () => {
    const { results, events } = recorder();
    const cache = createResponseCache(await makeStore(), settings, events);
    const model = modelCall({ delayMs: 50 });
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => cache.run('k5', 'default', model.fresh)));
    expect(model.calls()).toBe(1);
    expect(outcomes.filter((outcome) => outcome.hit)).toHaveLength(9);
    expect(results.filter((result) => result === 'miss')).toHaveLength(1);
  });

  it('lets waiting requests call the model themselves when the shared call fails', async () => {
    const cache = createResponseCache(await makeStore(), settings);
    const failing = modelCall({ fail: true, delayMs: 30 });
    const leader = cache.run('k6', 'default', failing.fresh);
    const model = modelCall();
    const follower = cache.run('k6', 'default', model.fresh);
    await expect(leader).rejects.toThrow('model failed');
    expect((await follower).hit).toBe(false);
    expect(model.calls()).toBe(1);
  });
});

describe('response cache across replicas (one Redis)', () => {
  it('makes one model call for identical requests spread over two processes', async () => {
    const [clientA, clientB] = await Promise.all([redisClient(), redisClient()]);
    const cacheA = createResponseCache(createRedisCacheStore(clientA), settings);
    const cacheB = createResponseCache(createRedisCacheStore(clientB), settings);
    const model = modelCall({ delayMs: 100 });
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, index) => (index % 2 ? cacheA : cacheB).run('shared', 'default', model.fresh)),
    );
    expect(model.calls()).toBe(1);
    expect(outcomes.filter((outcome) => outcome.hit)).toHaveLength(9);
  });

  it('calls the model itself after the bounded wait when the lock holder never answers', async () => {
    const client = await redisClient();
    await client.set('llm:cache:lock:stuck', 'another-replica', 'PX', 10_000);
    const cache = createResponseCache(createRedisCacheStore(client), { ...settings, lockWaitMs: 100 });
    const model = modelCall();
    expect((await cache.run('stuck', 'default', model.fresh)).hit).toBe(false);
    expect(model.calls()).toBe(1);
  });

  it('stores answers with the TTL', async () => {
    const client = await redisClient();
    const cache = createResponseCache(createRedisCacheStore(client), { ...settings, ttlSeconds: 120 });
    await cache.run('ttl', 'default', modelCall().fresh);
    const ttl = await client.ttl('llm:cache:v1:ttl');
    expect(ttl).toBeGreaterThan(115);
    expect(ttl).toBeLessThanOrEqual(120);
  });

  it('counts an error and still answers when Redis hangs', async () => {
    const client = await redisClient();
    const { results, events } = recorder();
    const errors: string[] = [];
    const cache = createResponseCache(createRedisCacheStore(client), settings, { ...events, onStoreError: (operation) => errors.push(operation) });
    redis.server.pause();
    const model = modelCall();
    const outcome = await cache.run('down', 'default', model.fresh);
    expect(outcome).toMatchObject({ hit: false, value: { text: 'answer 1' } });
    expect(results).toEqual(['error']);
    expect(errors).toEqual(['get']);
  });
});
