import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { CachedAnswer, CacheLock, CacheStore } from './store.js';

// Deletes the lock only if this holder still owns it: an expired lock may have passed to another replica.
const releaseScript = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

const answerKey = (key: string) => `llm:cache:v1:${key}`;
const lockKey = (key: string) => `llm:cache:lock:${key}`;

export function createRedisCacheStore(redis: Redis): CacheStore {
  return {
    kind: 'redis',
    async get(key) {
      const json = await redis.get(answerKey(key));
      return json ? (JSON.parse(json) as CachedAnswer) : undefined;
    },
    async set(key, answer, ttlSeconds) {
      await redis.set(answerKey(key), JSON.stringify(answer), 'EX', ttlSeconds);
    },
    async lock(key, ttlMs): Promise<CacheLock> {
      const token = randomUUID();
      const acquired = (await redis.set(lockKey(key), token, 'PX', ttlMs, 'NX')) === 'OK';
      return {
        acquired,
        release: async () => {
          if (acquired) await redis.eval(releaseScript, 1, lockKey(key), token);
        },
      };
    },
  };
}
