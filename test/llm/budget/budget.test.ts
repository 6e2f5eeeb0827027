import { describe, expect, it } from 'vitest';
import { createBudgetGate, type BudgetOptions } from '../../../src/llm/budget/budget.js';
import { BudgetExceededError, BudgetUnavailableError } from '../../../src/llm/budget/errors.js';
import { createMemoryLedger, type BudgetLedger } from '../../../src/llm/budget/ledger.js';
import { createRedisLedger } from '../../../src/llm/budget/redis-ledger.js';
import { useRedisServer } from '../../helpers/redis-per-file.js';

const redis = useRedisServer();
const redisLedger = async (): Promise<BudgetLedger> => createRedisLedger(await redis.client());

// 2026-11-27T10:00:00Z
const morning = Date.UTC(2026, 10, 27, 10);

function gate(ledger: BudgetLedger, overrides: Partial<BudgetOptions> = {}) {
  let clock = morning;
  const rejected: string[] = [];
  const spent: number[] = [];
  const budget = createBudgetGate({
    ledger,
    limits: { callerUsdPerDay: 0.01 },
    reservationTtlMs: 60_000,
    failOpen: false,
    now: () => clock,
    events: { onRejected: (scope) => rejected.push(scope), onServiceSpent: (usd) => spent.push(usd) },
    ...overrides,
  });
  return { budget, rejected, spent, advance: (ms: number) => (clock += ms) };
}

const ledgers: Array<[string, () => Promise<BudgetLedger>]> = [
  ['memory', async () => createMemoryLedger()],
  ['redis', redisLedger],
];

describe.each(ledgers)('budget gate (%s ledger)', (_kind, makeLedger) => {
  it('refuses a caller before its spend passes the budget, whatever user each call names', async () => {
    const { budget, rejected } = gate(await makeLedger());
    let spent = 0;
    let admitted = 0;
    let refusal: unknown;
    for (let call = 0; call < 20 && !refusal; call += 1) {
      try {
        const reservation = await budget.reserve({ callerId: 'address:10.0.0.1', userId: `user-${call}` }, 0.0035);
        await reservation.settle(0.001306);
        spent += 0.001306;
        admitted += 1;
      } catch (error) {
        refusal = error;
      }
    }
    expect(admitted).toBe(5);
    expect(spent).toBeLessThanOrEqual(0.01);
    expect(refusal).toBeInstanceOf(BudgetExceededError);
    expect((refusal as BudgetExceededError).body()).toEqual({
      error: 'budget_exceeded',
      message: expect.stringContaining('caller budget of $0.01'),
      scope: 'caller',
      budget_usd: 0.01,
      spent_usd: 0.00653,
      resets_at: '2026-11-28T00:00:00.000Z',
    });
    expect((refusal as BudgetExceededError).retryAfterSeconds(morning)).toBe(14 * 3600);
    expect(rejected).toEqual(['caller']);
    // Another caller has its own budget.
    await expect(budget.reserve({ callerId: 'address:10.0.0.2' }, 0.0035)).resolves.toBeDefined();
  });

  it('admits exactly as many of 20 concurrent calls as the budget covers', async () => {
    const { budget } = gate(await makeLedger(), { limits: { serviceUsdPerDay: 0.01 } });
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => budget.reserve({ callerId: 'c' }, 0.002)));
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(5);
    const reasons = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as BudgetExceededError] : []));
    expect(reasons.map((reason) => [reason.constructor, reason.scope])).toEqual(Array.from({ length: 15 }, () => [BudgetExceededError, 'service']));
  });

  it('reports the settled service spend', async () => {
    const { budget, spent } = gate(await makeLedger(), { limits: { serviceUsdPerDay: 1 } });
    await (await budget.reserve({ callerId: 'c' }, 0.01)).settle(0.001306);
    await (await budget.reserve({ callerId: 'd' }, 0.01)).settle(0.001306);
    expect(spent).toEqual([0.001306, 0.002612]);
  });

  it('reports the whole service’s spend, not the caller’s, when callers and users have budgets too', async () => {
    const { budget, spent } = gate(await makeLedger(), { limits: { serviceUsdPerDay: 1, callerUsdPerDay: 1, userUsdPerDay: 1 } });
    await (await budget.reserve({ callerId: 'c', userId: 'u' }, 0.01)).settle(0.002);
    await (await budget.reserve({ callerId: 'd', userId: 'u' }, 0.01)).settle(0.003);
    expect(spent).toEqual([0.002, 0.005]);
  });

  it('gives a released reservation back', async () => {
    const { budget } = gate(await makeLedger());
    const first = await budget.reserve({ callerId: 'c' }, 0.006);
    await expect(budget.reserve({ callerId: 'c' }, 0.006)).rejects.toBeInstanceOf(BudgetExceededError);
    await first.release();
    await expect(budget.reserve({ callerId: 'c' }, 0.006)).resolves.toBeDefined();
  });

  it('stops counting a reservation nobody settled once it expires', async () => {
    const { budget, advance } = gate(await makeLedger());
    await budget.reserve({ callerId: 'c' }, 0.006);
    await expect(budget.reserve({ callerId: 'c' }, 0.006)).rejects.toBeInstanceOf(BudgetExceededError);
    advance(60_001);
    await expect(budget.reserve({ callerId: 'c' }, 0.006)).resolves.toBeDefined();
  });

  it('starts a new budget at midnight UTC', async () => {
    const { budget, advance } = gate(await makeLedger());
    await (await budget.reserve({ callerId: 'c' }, 0.006)).settle(0.009);
    await expect(budget.reserve({ callerId: 'c' }, 0.002)).rejects.toBeInstanceOf(BudgetExceededError);
    advance(14 * 3600 * 1000);
    await expect(budget.reserve({ callerId: 'c' }, 0.002)).resolves.toBeDefined();
  });

  it('applies the per-user budget within its caller only', async () => {
    const { budget } = gate(await makeLedger(), { limits: { callerUsdPerDay: 1, userUsdPerDay: 0.005 } });
    await (await budget.reserve({ callerId: 'a', userId: 'u' }, 0.004)).settle(0.004);
    await expect(budget.reserve({ callerId: 'a', userId: 'u' }, 0.002)).rejects.toMatchObject({ scope: 'user' });
    await expect(budget.reserve({ callerId: 'b', userId: 'u' }, 0.002)).resolves.toBeDefined();
    await expect(budget.reserve({ callerId: 'a', userId: 'v' }, 0.002)).resolves.toBeDefined();
  });

  it('reserves in no scope when one scope refuses', async () => {
    const { budget } = gate(await makeLedger(), { limits: { serviceUsdPerDay: 0.01, callerUsdPerDay: 0.005 } });
    await expect(budget.reserve({ callerId: 'a' }, 0.006)).rejects.toMatchObject({ scope: 'caller' });
    // Had the service scope kept the refused 0.006, the second of these would not fit in 0.01.
    await expect(budget.reserve({ callerId: 'b' }, 0.005)).resolves.toBeDefined();
    await expect(budget.reserve({ callerId: 'c' }, 0.005)).resolves.toBeDefined();
    await expect(budget.reserve({ callerId: 'd' }, 0.000001)).rejects.toMatchObject({ scope: 'service' });
  });
});

describe('budget gate with Redis unreachable', () => {
  it('fails closed by default', async () => {
    const { budget } = gate(await redisLedger());
    redis.server.pause();
    await expect(budget.reserve({ callerId: 'c' }, 0.001)).rejects.toBeInstanceOf(BudgetUnavailableError);
  });

  it('lets the call through with BUDGET_FAIL_OPEN', async () => {
    const { budget } = gate(await redisLedger(), { failOpen: true });
    redis.server.pause();
    const reservation = await budget.reserve({ callerId: 'c' }, 0.001);
    await expect(reservation.settle(0.001)).resolves.toBeUndefined();
  });
});
