/** Amounts are integer nano-dollars: sums stay exact in JavaScript and in Redis' Lua alike. */
export const toNanoUsd = (usd: number) => Math.ceil(usd * 1e9 - 1e-6);
export const fromNanoUsd = (nano: number) => Math.round(nano) / 1e9;

export interface ScopeLimit {
  /** Unique per scope and day, e.g. `caller:key%3Aops:2026-11-27`. */
  key: string;
  limitNano: number;
}

export type ReserveResult = { ok: true } | { ok: false; index: number; spentNano: number; reservedNano: number };

export interface Reservation {
  id: string;
  amountNano: number;
  /** Epoch ms after which an unsettled reservation no longer counts. */
  expiresAt: number;
  now: number;
  /** Seconds the scope counters are kept (past the end of their day). */
  keepSeconds: number;
}

/** Counters per scope: settled spend plus open reservations; reserve checks and books every scope at once. */
export interface BudgetLedger {
  reserve(scopes: ScopeLimit[], reservation: Reservation): Promise<ReserveResult>;
  /** Turns the reservation into the actual cost; returns the first scope's settled spend. */
  settle(scopeKeys: string[], id: string, actualNano: number, clock: { now: number; keepSeconds: number }): Promise<number>;
  release(scopeKeys: string[], id: string): Promise<void>;
}

interface ScopeCounters {
  spent: number;
  reservations: Map<string, { amount: number; expiresAt: number }>;
  keepUntil: number;
}

/** The in-process ledger: JavaScript runs each call to the end, so reserve is atomic without a lock. */
export function createMemoryLedger(): BudgetLedger {
  const scopes = new Map<string, ScopeCounters>();
  const counters = (key: string, now: number) => {
    let found = scopes.get(key);
    if (!found) {
      found = { spent: 0, reservations: new Map(), keepUntil: now };
      scopes.set(key, found);
    }
    return found;
  };
  const forgetOldDays = (now: number) => {
    for (const [key, scope] of scopes) if (scope.keepUntil < now) scopes.delete(key);
  };
  return {
    async reserve(limits, reservation) {
      const { now } = reservation;
      forgetOldDays(now);
      for (const [index, limit] of limits.entries()) {
        const scope = counters(limit.key, now);
        let reserved = 0;
        for (const [id, open] of scope.reservations) {
          if (open.expiresAt <= now) scope.reservations.delete(id);
          else reserved += open.amount;
        }
        if (scope.spent + reserved + reservation.amountNano > limit.limitNano) {
          return { ok: false, index, spentNano: scope.spent, reservedNano: reserved };
        }
      }
      for (const limit of limits) {
        const scope = counters(limit.key, now);
        scope.reservations.set(reservation.id, { amount: reservation.amountNano, expiresAt: reservation.expiresAt });
        scope.keepUntil = now + reservation.keepSeconds * 1000;
      }
      return { ok: true };
    },
    async settle(keys, id, actualNano, { now, keepSeconds }) {
      let first = 0;
      for (const [index, key] of keys.entries()) {
        const scope = counters(key, now);
        scope.reservations.delete(id);
        scope.spent += actualNano;
        scope.keepUntil = Math.max(scope.keepUntil, now + keepSeconds * 1000);
        if (index === 0) first = scope.spent;
      }
      return first;
    },
    async release(keys, id) {
      for (const key of keys) scopes.get(key)?.reservations.delete(id);
    },
  };
}
