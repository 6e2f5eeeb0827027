import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Config } from '../../src/config/index.js';
import { BudgetExceededError, BudgetUnavailableError } from '../../src/llm/budget/errors.js';
import type { CachedAnswer } from '../../src/llm/cache/store.js';
import { createCostControls, type CostControlEvents } from '../../src/llm/cost-controls-factory.js';
import type { BudgetLimits } from '../../src/llm/budget/budget.js';
import { useRedisServer } from '../helpers/redis-per-file.js';

const redis = useRedisServer();
const morning = Date.UTC(2026, 10, 27, 10);

function config({ ttlSeconds = 60, limits = {} as BudgetLimits, timeoutMs = 5_000, deadlineMs = 20_000, failOpen = false } = {}) {
  return {
    costControls: { cache: { ttlSeconds, maxEntries: 10 }, budget: { limits, failOpen } },
    llm: { timeoutMs, deadlineMs },
  } as unknown as Config;
}

function recordingEvents() {
  const seen: unknown[][] = [];
  const events: CostControlEvents = {
    cacheResult: (result) => seen.push(['cache', result]),
    budgetRejected: (scope) => seen.push(['rejected', scope]),
    serviceSpent: (usd) => seen.push(['spent', usd]),
    sharedStateError: (component, operation) => seen.push(['error', component, operation]),
  };
  return { events, seen };
}

const answer: CachedAnswer = { text: 't', finishReason: 'STOP', usage: { input: 1, cached: 0, output: 1, reasoning: 0, total: 2 }, requestedModel: 'm', traceId: 'a'.repeat(32), storedAt: 1 };
const fresh = (onCall: () => Promise<void> = async () => undefined) => ({ call: async () => (await onCall(), 'value'), storable: () => answer });

describe('createCostControls', () => {
  afterEach(() => vi.useRealTimers());

  it('turns the cache off with TTL 0 and leaves the budget disabled without limits', () => {
    const controls = createCostControls(config({ ttlSeconds: 0 }), undefined, recordingEvents().events);
    expect(controls.cache).toBeUndefined();
    expect(controls.budget?.enabled).toBe(false);
  });

  it('caches in process without Redis, reporting each result', async () => {
    const { events, seen } = recordingEvents();
    const { cache } = createCostControls(config(), undefined, events);
    expect(await cache?.run('k', 'default', fresh())).toEqual({ hit: false, value: 'value' });
    expect(await cache?.run('k', 'default', fresh())).toEqual({ hit: true, answer });
    expect(seen).toEqual([
      ['cache', 'miss'],
      ['cache', 'hit'],
    ]);
  });

  it('calls the model at once on an in-process miss: no other replica holds a lock to wait for', async () => {
    vi.useFakeTimers();
    const { cache } = createCostControls(config(), undefined, recordingEvents().events);
    const calls: string[] = [];
    const outcome = cache?.run('k', 'default', fresh(async () => void calls.push('model')));
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toEqual(['model']);
    expect(await outcome).toEqual({ hit: false, value: 'value' });
  });

  it('budgets in process, counting a reservation for the deadline plus 10 s', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(morning);
    const { events, seen } = recordingEvents();
    const { budget } = createCostControls(config({ limits: { serviceUsdPerDay: 1 } }), undefined, events);
    expect(budget?.limits).toEqual({ serviceUsdPerDay: 1 });
    await budget?.reserve({ callerId: 'k' }, 0.6);
    vi.setSystemTime(morning + 29_999);
    await expect(budget?.reserve({ callerId: 'k' }, 0.6)).rejects.toBeInstanceOf(BudgetExceededError);
    vi.setSystemTime(morning + 30_000);
    const second = await budget?.reserve({ callerId: 'k' }, 0.6);
    await second?.settle(0.25);
    expect(seen).toEqual([
      ['rejected', 'service'],
      ['spent', 0.25],
    ]);
  });

  it('keeps answers, locks and budgets in Redis when it has one', async () => {
    const client = await redis.client();
    const { events } = recordingEvents();
    const { cache, budget } = createCostControls(config({ limits: { callerUsdPerDay: 1 } }), client, events);
    let lockTtl = -1;
    await cache?.run('k', 'default', fresh(async () => void (lockTtl = await client.pttl('llm:cache:lock:k'))));
    expect(lockTtl).toBeGreaterThan(4_000);
    expect(lockTtl).toBeLessThanOrEqual(5_000);
    expect(await client.exists('llm:cache:lock:k')).toBe(0);
    await budget?.reserve({ callerId: 'k' }, 0.1);
    const keys = await client.keys('*');
    expect(keys.some((key) => key.includes('caller:k:'))).toBe(true);
    expect(keys.some((key) => key.startsWith('llm:cache:') && !key.includes('lock'))).toBe(true);
  });

  it('caps the cache lock at 30 s however long an attempt may take', async () => {
    const client = await redis.client();
    const { cache } = createCostControls(config({ timeoutMs: 120_000 }), client, recordingEvents().events);
    let lockTtl = -1;
    await cache?.run('k', 'default', fresh(async () => void (lockTtl = await client.pttl('llm:cache:lock:k'))));
    expect(lockTtl).toBeGreaterThan(29_000);
    expect(lockTtl).toBeLessThanOrEqual(30_000);
  });

  it('reports shared-state errors by component and operation', async () => {
    const client = await redis.client();
    const { events, seen } = recordingEvents();
    const { cache, budget } = createCostControls(config({ limits: { callerUsdPerDay: 1 } }), client, events);
    redis.server.pause();
    expect(await cache?.run('k', 'default', fresh())).toEqual({ hit: false, value: 'value' });
    await expect(budget?.reserve({ callerId: 'k' }, 0.1)).rejects.toBeInstanceOf(BudgetUnavailableError);
    expect(seen.filter(([kind]) => kind === 'error')).toEqual(expect.arrayContaining([['error', 'cache', 'get'], ['error', 'budget', 'reserve']]));
    expect(seen).toContainEqual(['cache', 'error']);
  });

  it('passes BUDGET_FAIL_OPEN through', async () => {
    const client = await redis.client();
    const { budget } = createCostControls(config({ limits: { callerUsdPerDay: 1 }, failOpen: true }), client, recordingEvents().events);
    redis.server.pause();
    await expect(budget?.reserve({ callerId: 'k' }, 0.1)).resolves.toBeDefined();
  });
});
