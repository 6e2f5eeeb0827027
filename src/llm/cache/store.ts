import { LRUCache } from 'lru-cache';
import type { TokenUsage } from '../usage.js';

/** A complete, successful answer as the paying call left it. */
export interface CachedAnswer {
  text: string;
  finishReason: string;
  /** What the original call was billed for: the saving a hit reports is priced from it. */
  usage: TokenUsage;
  requestedModel: string;
  responseModel?: string;
  /** Trace of the call that paid for the answer. */
  traceId: string;
  /** Epoch milliseconds. */
  storedAt: number;
}

export interface CacheLock {
  acquired: boolean;
  release(): Promise<void>;
}

/** Where answers live: this process (LRU) or Redis (shared by every replica). */
export interface CacheStore {
  readonly kind: 'memory' | 'redis';
  get(key: string): Promise<CachedAnswer | undefined>;
  set(key: string, answer: CachedAnswer, ttlSeconds: number): Promise<void>;
  /** A lock other replicas respect while one of them calls the model for `key`. */
  lock(key: string, ttlMs: number): Promise<CacheLock>;
}

const grantedLock: CacheLock = { acquired: true, release: async () => undefined };

export function createMemoryCacheStore(maxEntries: number, ttlSeconds: number): CacheStore {
  const entries = new LRUCache<string, CachedAnswer>({ max: maxEntries, ttl: ttlSeconds * 1000 });
  return {
    kind: 'memory',
    get: async (key) => entries.get(key),
    set: async (key, answer, ttl) => {
      entries.set(key, answer, { ttl: ttl * 1000 });
    },
    // One process: the response cache's in-flight map already coalesces identical calls.
    lock: async () => grantedLock,
  };
}
