import { randomUUID } from 'node:crypto';
import { BudgetExceededError, BudgetUnavailableError, type BudgetScope } from './errors.js';
import { fromNanoUsd, toNanoUsd, type BudgetLedger, type ScopeLimit } from './ledger.js';

export interface BudgetLimits {
  serviceUsdPerDay?: number;
  callerUsdPerDay?: number;
  userUsdPerDay?: number;
}

/** Who pays: the caller the auth layer identified (key or address), and optionally the body's user within it. */
export interface Spender {
  callerId: string;
  userId?: string;
}

export interface BudgetEvents {
  onRejected?(scope: BudgetScope): void;
  onServiceSpent?(usd: number): void;
  onLedgerError?(operation: 'reserve' | 'settle' | 'release', error: unknown): void;
}

export interface BudgetOptions {
  ledger: BudgetLedger;
  limits: BudgetLimits;
  /** How long an unsettled reservation counts: longer than any call with all its retries. */
  reservationTtlMs: number;
  /** With the ledger unreachable: true lets calls through unbudgeted, false (default) refuses them. */
  failOpen: boolean;
  now?: () => number;
  events?: BudgetEvents;
}

export interface BudgetReservation {
  settle(actualUsd: number): Promise<void>;
  release(): Promise<void>;
}

const DAY_MS = 86_400_000;
const unreserved: BudgetReservation = { settle: async () => undefined, release: async () => undefined };
// Ids are caller-chosen text; escaping ':' keeps `caller a:b, user c` apart from `caller a, user b:c`.
const part = (text: string) => encodeURIComponent(text);

/**
 * Daily spend budgets (UTC) per service, caller and user. Before a call the worst case is reserved in
 * every scope at once; afterwards the reservation becomes the actual cost, or is released on failure.
 */
export function createBudgetGate({ ledger, limits, reservationTtlMs, failOpen, now = Date.now, events = {} }: BudgetOptions) {
  const enabled = Boolean(limits.serviceUsdPerDay || limits.callerUsdPerDay || limits.userUsdPerDay);

  function scopesFor(spender: Spender, day: string): Array<ScopeLimit & { scope: BudgetScope; limitUsd: number }> {
    const scopes: Array<ScopeLimit & { scope: BudgetScope; limitUsd: number }> = [];
    const add = (scope: BudgetScope, key: string, limitUsd: number | undefined) => {
      if (limitUsd) scopes.push({ scope, key: `${key}:${day}`, limitNano: toNanoUsd(limitUsd), limitUsd });
    };
    add('service', 'service', limits.serviceUsdPerDay);
    add('caller', `caller:${part(spender.callerId)}`, limits.callerUsdPerDay);
    if (spender.userId) add('user', `user:${part(spender.callerId)}:${part(spender.userId)}`, limits.userUsdPerDay);
    return scopes;
  }

  async function reserve(spender: Spender, worstCaseUsd: number): Promise<BudgetReservation> {
    if (!enabled) return unreserved;
    const at = now();
    const dayStart = Math.floor(at / DAY_MS) * DAY_MS;
    const resetsAt = new Date(dayStart + DAY_MS);
    const scopes = scopesFor(spender, new Date(dayStart).toISOString().slice(0, 10));
    if (scopes.length === 0) return unreserved;
    const id = randomUUID();
    const keepSeconds = Math.ceil((resetsAt.getTime() - at) / 1000) + 86_400;
    let result;
    try {
      result = await ledger.reserve(scopes, { id, amountNano: toNanoUsd(worstCaseUsd), expiresAt: at + reservationTtlMs, now: at, keepSeconds });
    } catch (error) {
      events.onLedgerError?.('reserve', error);
      if (failOpen) return unreserved;
      throw new BudgetUnavailableError(error);
    }
    if (!result.ok) {
      const refused = scopes[result.index] as (typeof scopes)[number];
      events.onRejected?.(refused.scope);
      throw new BudgetExceededError(refused.scope, refused.limitUsd, fromNanoUsd(result.spentNano), resetsAt);
    }
    const keys = scopes.map((scope) => scope.key);
    return {
      async settle(actualUsd) {
        try {
          const firstSpent = await ledger.settle(keys, id, toNanoUsd(actualUsd), { now: now(), keepSeconds });
          if (scopes[0]?.scope === 'service') events.onServiceSpent?.(fromNanoUsd(firstSpent));
        } catch (error) {
          // The reservation still expires; the answer the caller paid for is not withheld.
          events.onLedgerError?.('settle', error);
        }
      },
      async release() {
        try {
          await ledger.release(keys, id);
        } catch (error) {
          events.onLedgerError?.('release', error);
        }
      },
    };
  }

  return { reserve, enabled, limits };
}

export type BudgetGate = ReturnType<typeof createBudgetGate>;
