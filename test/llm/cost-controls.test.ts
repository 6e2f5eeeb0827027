import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BudgetGate, BudgetReservation, Spender } from '../../src/llm/budget/budget.js';
import { cacheKey } from '../../src/llm/cache/key.js';
import type { CacheMode, ResponseCache } from '../../src/llm/cache/response-cache.js';
import type { CachedAnswer } from '../../src/llm/cache/store.js';
import { withCostControls, type BilledAnswer } from '../../src/llm/cost-controls.js';
import type { LlmRequest } from '../../src/llm/types.js';
import { llmRequest } from '../helpers/llm-request.js';

const request = llmRequest('gemini-2.5-flash');
const billedUsage = { input: 10, cached: 0, output: 5, reasoning: 0, total: 15 };
const answered = (finishReason: string): BilledAnswer => ({ text: 'fresh', finishReason, responseModel: 'gemini-2.5-flash-001', traceId: 'e'.repeat(32), billedUsage });

function fakeBudget(enabled: boolean) {
  const reserved: Array<[Spender, number]> = [];
  const reservation: BudgetReservation = { settle: async () => undefined, release: async () => undefined };
  const budget = { enabled, reserve: async (spender: Spender, usd: number) => (reserved.push([spender, usd]), reservation) } as unknown as BudgetGate;
  return { budget, reserved, reservation };
}

function fakeCache(outcome: 'hit' | 'miss') {
  const runs: Array<{ key: string; mode: CacheMode; stored: unknown }> = [];
  const cached: CachedAnswer = { text: 'old', finishReason: 'STOP', usage: billedUsage, requestedModel: 'gemini-2.5-flash', traceId: 'f'.repeat(32), storedAt: 1 };
  const cache = {
    run: async (key: string, mode: CacheMode, fresh: { call: () => Promise<BilledAnswer>; storable: (r: BilledAnswer) => unknown }) => {
      if (outcome === 'hit') {
        runs.push({ key, mode, stored: undefined });
        return { hit: true, answer: cached };
      }
      const value = await fresh.call();
      runs.push({ key, mode, stored: fresh.storable(value) });
      return { hit: false, value };
    },
  } as unknown as ResponseCache;
  return { cache, runs, cached };
}

describe('withCostControls', () => {
  afterEach(() => vi.useRealTimers());

  it('without cache or budget calls the model unreserved, cache off', async () => {
    const calls: Array<[BudgetReservation, boolean]> = [];
    const generate = withCostControls('gemini', {}, async (_r, reservation, cacheOn) => (calls.push([reservation, cacheOn]), answered('STOP')), () => {
      throw new Error('no hit without a cache');
    });
    expect(await generate(request)).toEqual(answered('STOP'));
    expect(calls).toHaveLength(1);
    expect(calls[0]?.[1]).toBe(false);
    await expect(calls[0]?.[0].settle(1)).resolves.toBeUndefined();
    await expect(calls[0]?.[0].release()).resolves.toBeUndefined();
  });

  it('reserves the worst case for the named spender, or the service when none is named', async () => {
    const { budget, reserved, reservation } = fakeBudget(true);
    const seen: BudgetReservation[] = [];
    const generate = withCostControls('gemini', { budget }, async (_r, given) => (seen.push(given), answered('STOP')), () => answered('STOP'));
    await generate(request, { spender: { callerId: 'key-1', userId: 'u' } });
    await generate(request);
    expect(reserved).toEqual([
      [{ callerId: 'key-1', userId: 'u' }, 0.0006652],
      [{ callerId: 'internal' }, 0.0006652],
    ]);
    expect(seen).toEqual([reservation, reservation]);
  });

  it('reserves nothing for a model with no price', async () => {
    const { budget, reserved } = fakeBudget(true);
    const generate = withCostControls('offline', { budget }, async () => answered('STOP'), () => answered('STOP'));
    await generate({ ...request, model: 'mystery-0' });
    expect(reserved).toEqual([[{ callerId: 'internal' }, 0]]);
  });

  it('skips a disabled budget', async () => {
    const { budget, reserved } = fakeBudget(false);
    const generate = withCostControls('gemini', { budget }, async () => answered('STOP'), () => answered('STOP'));
    await generate(request);
    expect(reserved).toEqual([]);
  });

  it('stores a complete miss under the request key with the default mode', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(5_000);
    const { cache, runs } = fakeCache('miss');
    const cacheOn: boolean[] = [];
    const generate = withCostControls('gemini', { cache }, async (_r, _res, on) => (cacheOn.push(on), answered('STOP')), () => answered('HIT'));
    expect(await generate(request)).toEqual(answered('STOP'));
    expect(cacheOn).toEqual([true]);
    expect(runs).toEqual([
      {
        key: cacheKey('gemini', request),
        mode: 'default',
        stored: {
          text: 'fresh',
          finishReason: 'STOP',
          usage: billedUsage,
          requestedModel: 'gemini-2.5-flash',
          responseModel: 'gemini-2.5-flash-001',
          traceId: 'e'.repeat(32),
          storedAt: 5_000,
        },
      },
    ]);
  });

  it('does not store a cut-off answer, and passes the request mode', async () => {
    const { cache, runs } = fakeCache('miss');
    const generate = withCostControls('gemini', { cache }, async () => answered('MAX_TOKENS'), () => answered('HIT'));
    await generate(request, { cache: 'no-store' });
    expect(runs).toEqual([{ key: cacheKey('gemini', request), mode: 'no-store', stored: undefined }]);
  });

  it('describes a hit without calling the model or the budget', async () => {
    const { cache, cached } = fakeCache('hit');
    const { budget, reserved } = fakeBudget(true);
    const described: Array<[LlmRequest, CachedAnswer]> = [];
    let modelCalls = 0;
    const generate = withCostControls('gemini', { cache, budget }, async () => (modelCalls++, answered('STOP')), (r, a) => (described.push([r, a]), answered('HIT')));
    expect(await generate(request)).toEqual(answered('HIT'));
    expect(described).toEqual([[request, cached]]);
    expect(modelCalls).toBe(0);
    expect(reserved).toEqual([]);
  });
});
