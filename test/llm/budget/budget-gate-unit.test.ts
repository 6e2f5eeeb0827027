import { describe, expect, it } from 'vitest';
import { createBudgetGate, type BudgetLimits } from '../../../src/llm/budget/budget.js';
import { BudgetExceededError, BudgetUnavailableError } from '../../../src/llm/budget/errors.js';
import type { BudgetLedger, ReserveResult, Reservation, ScopeLimit } from '../../../src/llm/budget/ledger.js';

// 2026-11-27T10:00:00Z: 14 h (50,400 s) before midnight UTC.
const morning = Date.UTC(2026, 10, 27, 10);

function recordingLedger(answer: ReserveResult | Error = { ok: true }, settled = 0) {
  const calls: unknown[][] = [];
  const ledger: BudgetLedger = {
    reserve: async (scopes: ScopeLimit[], reservation: Reservation) => {
      calls.push(['reserve', scopes, reservation]);
      if (answer instanceof Error) throw answer;
      return answer;
    },
    settle: async (keys, id, actualNano, clock) => {
      calls.push(['settle', keys, id, actualNano, clock]);
      return settled;
    },
    release: async (keys, id) => {
      calls.push(['release', keys, id]);
    },
  };
  return { ledger, calls };
}

function gateOn(ledger: BudgetLedger, limits: BudgetLimits, failOpen = false) {
  const events: unknown[][] = [];
  let clock = morning;
  const gate = createBudgetGate({
    ledger,
    limits,
    reservationTtlMs: 60_000,
    failOpen,
    now: () => clock,
    events: {
      onRejected: (scope) => events.push(['rejected', scope]),
      onServiceSpent: (usd) => events.push(['spent', usd]),
      onLedgerError: (operation, error) => events.push(['error', operation, (error as Error).message]),
    },
  });
  return { gate, events, advance: (ms: number) => (clock += ms) };
}

const all = { serviceUsdPerDay: 10, callerUsdPerDay: 1, userUsdPerDay: 0.5 };

describe('budget gate scopes and reservation', () => {
  it('is enabled by any one limit and by none of zero', () => {
    const { ledger } = recordingLedger();
    expect(gateOn(ledger, {}).gate.enabled).toBe(false);
    expect(gateOn(ledger, { serviceUsdPerDay: 0 }).gate.enabled).toBe(false);
    expect(gateOn(ledger, { serviceUsdPerDay: 1 }).gate.enabled).toBe(true);
    expect(gateOn(ledger, { callerUsdPerDay: 1 }).gate.enabled).toBe(true);
    expect(gateOn(ledger, { userUsdPerDay: 1 }).gate.enabled).toBe(true);
    expect(gateOn(ledger, all).gate.limits).toEqual(all);
  });

  it('reserves the worst case in every scope at once, ids escaped, counters kept a day past midnight', async () => {
    const { ledger, calls } = recordingLedger();
    const { gate } = gateOn(ledger, all);
    await gate.reserve({ callerId: 'key:a', userId: 'b:c' }, 0.25);
    const [name, scopes, reservation] = calls[0] as [string, ScopeLimit[], Reservation];
    expect(name).toBe('reserve');
    expect(scopes).toEqual([
      { scope: 'service', key: 'service:2026-11-27', limitNano: 10e9, limitUsd: 10 },
      { scope: 'caller', key: 'caller:key%3Aa:2026-11-27', limitNano: 1e9, limitUsd: 1 },
      { scope: 'user', key: 'user:key%3Aa:b%3Ac:2026-11-27', limitNano: 0.5e9, limitUsd: 0.5 },
    ]);
    expect(reservation).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), amountNano: 0.25e9, expiresAt: morning + 60_000, now: morning, keepSeconds: 50_400 + 86_400 });
  });

  it('rounds the time left in the day up to the next second', async () => {
    const { ledger, calls } = recordingLedger();
    const { gate, advance } = gateOn(ledger, { callerUsdPerDay: 1 });
    advance(1);
    await gate.reserve({ callerId: 'k' }, 0.1);
    expect((calls[0]?.[2] as Reservation).keepSeconds).toBe(50_400 + 86_400);
  });

  it('leaves out the user scope without a user, and scopes whose limit is unset', async () => {
    const { ledger, calls } = recordingLedger();
    await gateOn(ledger, all).gate.reserve({ callerId: 'k' }, 0.1);
    await gateOn(ledger, { userUsdPerDay: 1 }).gate.reserve({ callerId: 'k', userId: 'u' }, 0.1);
    expect((calls[0]?.[1] as ScopeLimit[]).map((scope) => scope.key)).toEqual(['service:2026-11-27', 'caller:k:2026-11-27']);
    expect((calls[1]?.[1] as ScopeLimit[]).map((scope) => scope.key)).toEqual(['user:k:u:2026-11-27']);
  });

  it('does not touch the ledger when disabled or when no scope applies', async () => {
    const { ledger, calls } = recordingLedger();
    const off = await gateOn(ledger, {}).gate.reserve({ callerId: 'k', userId: 'u' }, 1);
    const userOnly = await gateOn(ledger, { userUsdPerDay: 1 }).gate.reserve({ callerId: 'k' }, 1);
    expect(calls).toEqual([]);
    await off.settle(1);
    await off.release();
    await userOnly.settle(1);
    await userOnly.release();
    expect(calls).toEqual([]);
  });

  it('settles on the same keys and id, reporting the service spend', async () => {
    const { ledger, calls } = recordingLedger({ ok: true }, 1_500_000_000);
    const { gate, events, advance } = gateOn(ledger, all);
    const reservation = await gate.reserve({ callerId: 'k' }, 0.25);
    const id = (calls[0]?.[2] as Reservation).id;
    advance(5_000);
    await reservation.settle(0.125);
    expect(calls[1]).toEqual(['settle', ['service:2026-11-27', 'caller:k:2026-11-27'], id, 0.125e9, { now: morning + 5_000, keepSeconds: 50_400 + 86_400 }]);
    expect(events).toEqual([['spent', 1.5]]);
    await reservation.release();
    expect(calls[2]).toEqual(['release', ['service:2026-11-27', 'caller:k:2026-11-27'], id]);
  });

  it('reports no service spend when the service has no budget', async () => {
    const { ledger } = recordingLedger({ ok: true }, 7);
    const { gate, events } = gateOn(ledger, { callerUsdPerDay: 1 });
    await (await gate.reserve({ callerId: 'k' }, 0.1)).settle(0.1);
    expect(events).toEqual([]);
  });

  it('refuses with the scope that was over, its limit, spend and the next midnight', async () => {
    const { ledger } = recordingLedger({ ok: false, index: 1, spentNano: 900_000_000, reservedNano: 0 });
    const { gate, events } = gateOn(ledger, all);
    const refusal = await gate.reserve({ callerId: 'k' }, 0.25).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(BudgetExceededError);
    expect([(refusal as BudgetExceededError).name, (refusal as BudgetExceededError).httpStatus]).toEqual(['BudgetExceededError', 429]);
    expect((refusal as BudgetExceededError).body()).toEqual({
      error: 'budget_exceeded',
      message: expect.any(String),
      scope: 'caller',
      budget_usd: 1,
      spent_usd: 0.9,
      resets_at: '2026-11-28T00:00:00.000Z',
    });
    expect(events).toEqual([['rejected', 'caller']]);
  });
});

describe('budget gate with a failing ledger', () => {
  it('fails closed, reporting the error', async () => {
    const { ledger } = recordingLedger(new Error('down'));
    const { gate, events } = gateOn(ledger, all);
    await expect(gate.reserve({ callerId: 'k' }, 0.1)).rejects.toBeInstanceOf(BudgetUnavailableError);
    expect(events).toEqual([['error', 'reserve', 'down']]);
  });

  it('refuses with a 503 that asks to retry in 5 s and keeps the ledger’s error as its cause', async () => {
    const down = new Error('down');
    const { ledger } = recordingLedger(down);
    const { gate } = gateOn(ledger, all);
    const refusal = (await gate.reserve({ callerId: 'k' }, 0.1).catch((error: unknown) => error)) as BudgetUnavailableError;
    expect([refusal.name, refusal.httpStatus, refusal.retryAfterSeconds(), refusal.cause]).toEqual(['BudgetUnavailableError', 503, 5, down]);
    expect(refusal.body()).toEqual({
      error: 'budget_unavailable',
      message: 'the spend budget cannot be checked (shared state unreachable), so no model call is made',
    });
  });

  it('fails open when asked, with a reservation that does nothing', async () => {
    const { ledger, calls } = recordingLedger(new Error('down'));
    const { gate, events } = gateOn(ledger, all, true);
    const reservation = await gate.reserve({ callerId: 'k' }, 0.1);
    await reservation.settle(0.1);
    await reservation.release();
    expect(calls.map(([name]) => name)).toEqual(['reserve']);
    expect(events).toEqual([['error', 'reserve', 'down']]);
  });

  it('reports settle and release errors without throwing', async () => {
    const { ledger } = recordingLedger();
    ledger.settle = async () => {
      throw new Error('settle down');
    };
    ledger.release = async () => {
      throw new Error('release down');
    };
    const { gate, events } = gateOn(ledger, all);
    const reservation = await gate.reserve({ callerId: 'k' }, 0.1);
    await expect(reservation.settle(0.1)).resolves.toBeUndefined();
    await expect(reservation.release()).resolves.toBeUndefined();
    expect(events).toEqual([
      ['error', 'settle', 'settle down'],
      ['error', 'release', 'release down'],
    ]);
  });
});

describe('budget gate without event handlers', () => {
  it('refuses, settles and survives ledger errors with no handler to tell', async () => {
    const { ledger } = recordingLedger({ ok: true }, 5);
    const gate = createBudgetGate({ ledger, limits: all, reservationTtlMs: 60_000, failOpen: false, now: () => morning });
    const reservation = await gate.reserve({ callerId: 'k' }, 0.1);
    await expect(reservation.settle(0.1)).resolves.toBeUndefined();
    ledger.settle = async () => {
      throw new Error('settle down');
    };
    ledger.release = async () => {
      throw new Error('release down');
    };
    await expect(reservation.settle(0.1)).resolves.toBeUndefined();
    await expect(reservation.release()).resolves.toBeUndefined();
    const refusing = recordingLedger({ ok: false, index: 0, spentNano: 0, reservedNano: 0 }).ledger;
    const refusingGate = createBudgetGate({ ledger: refusing, limits: all, reservationTtlMs: 60_000, failOpen: false, now: () => morning });
    await expect(refusingGate.reserve({ callerId: 'k' }, 20)).rejects.toBeInstanceOf(BudgetExceededError);
  });
});

describe('budget gate with only a ledger-error handler', () => {
  it('settles the service spend without reporting an error', async () => {
    const { ledger } = recordingLedger({ ok: true }, 5);
    const errors: string[] = [];
    const gate = createBudgetGate({ ledger, limits: all, reservationTtlMs: 60_000, failOpen: false, now: () => morning, events: { onLedgerError: (operation) => errors.push(operation) } });
    await (await gate.reserve({ callerId: 'k' }, 0.1)).settle(0.1);
    expect(errors).toEqual([]);
  });
});
