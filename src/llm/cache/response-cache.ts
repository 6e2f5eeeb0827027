import { setTimeout as sleep } from 'node:timers/promises';
import type { CachedAnswer, CacheStore } from './store.js';

/** Per request, from its Cache-Control header: `no-cache` skips the lookup but stores; `no-store` does neither. */
export type CacheMode = 'default' | 'no-cache' | 'no-store';

/** `bypass`: the request asked to skip the lookup; `error`: the store failed and the call went ahead without it. */
export type CacheResult = 'hit' | 'miss' | 'bypass' | 'error';

export interface CacheSettings {
  ttlSeconds: number;
  /** How long a replica holds the cross-replica lock while it calls the model. */
  lockMs: number;
  /** How long another replica waits for that answer before calling the model itself. */
  lockWaitMs: number;
  pollMs?: number;
}

export interface CacheEvents {
  onResult?(result: CacheResult): void;
  onStoreError?(operation: 'get' | 'set' | 'lock', error: unknown): void;
}

export type CacheOutcome<T> = { hit: true; answer: CachedAnswer } | { hit: false; value: T };

/** What a fresh call returned, and the answer to store when it is one (a STOP answer), else undefined. */
export interface FreshCall<T> {
  call(): Promise<T>;
  storable(value: T): CachedAnswer | undefined;
}

/**
 * Exact-key response cache with single flight: concurrent identical requests in this process share one
 * in-flight call, and replicas sharing Redis wait (boundedly) for the one holding the key's lock.
 */
export function createResponseCache(store: CacheStore, settings: CacheSettings, events: CacheEvents = {}) {
  const inFlight = new Map<string, Promise<CachedAnswer | undefined>>();
  const pollMs = settings.pollMs ?? 25;

  const guarded = async <R>(operation: 'get' | 'set' | 'lock', work: () => Promise<R>): Promise<R | Error> => {
    try {
      return await work();
    } catch (error) {
      events.onStoreError?.(operation, error);
      return error instanceof Error ? error : new Error(String(error));
    }
  };

  async function waitForAnswer(key: string): Promise<CachedAnswer | undefined> {
    const deadline = Date.now() + settings.lockWaitMs;
    while (Date.now() < deadline) {
      await sleep(pollMs);
      const found = await guarded('get', () => store.get(key));
      if (found instanceof Error) return undefined;
      if (found) return found;
    }
    return undefined;
  }

  async function lead<T>(key: string, fresh: FreshCall<T>, settle: (answer: CachedAnswer | undefined) => void): Promise<CacheOutcome<T>> {
    const lock = await guarded('lock', () => store.lock(key, settings.lockMs));
    try {
      if (!(lock instanceof Error) && !lock.acquired) {
        const answer = await waitForAnswer(key);
        if (answer) {
          events.onResult?.('hit');
          settle(answer);
          return { hit: true, answer };
        }
      }
      events.onResult?.('miss');
      const value = await fresh.call();
      const answer = fresh.storable(value);
      if (answer) await guarded('set', () => store.set(key, answer, settings.ttlSeconds));
      settle(answer);
      return { hit: false, value };
    } catch (error) {
      settle(undefined);
      throw error;
    } finally {
      if (!(lock instanceof Error)) await guarded('lock', () => lock.release());
    }
  }

  async function run<T>(key: string, mode: CacheMode, fresh: FreshCall<T>): Promise<CacheOutcome<T>> {
    if (mode !== 'default') {
      events.onResult?.('bypass');
      const value = await fresh.call();
      const answer = mode === 'no-cache' ? fresh.storable(value) : undefined;
      if (answer) await guarded('set', () => store.set(key, answer, settings.ttlSeconds));
      return { hit: false, value };
    }
    const flight = inFlight.get(key);
    if (flight) {
      const shared = await flight;
      events.onResult?.(shared ? 'hit' : 'miss');
      return shared ? { hit: true, answer: shared } : { hit: false, value: await fresh.call() };
    }
    let settle: (answer: CachedAnswer | undefined) => void = () => undefined;
    inFlight.set(key, new Promise((resolve) => (settle = resolve)));
    try {
      const stored = await guarded('get', () => store.get(key));
      if (stored instanceof Error) {
        events.onResult?.('error');
        settle(undefined);
        return { hit: false, value: await fresh.call() };
      }
      if (stored) {
        events.onResult?.('hit');
        settle(stored);
        return { hit: true, answer: stored };
      }
      return await lead(key, fresh, settle);
    } finally {
      inFlight.delete(key);
    }
  }

  return { run, storeKind: store.kind };
}

export type ResponseCache = ReturnType<typeof createResponseCache>;
