import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

export type Verdict = 'helpful' | 'unhelpful';
export type VoteOutcome = 'new' | 'replaced';

/**
 * Remembers which answers a user has already judged, so that a repeated vote replaces the first one
 * instead of adding to it. Async so that a shared store (Redis) can stand in for the in-process one.
 */
export interface VoteStore {
  record(answerKey: string, verdict: Verdict): Promise<VoteOutcome>;
}

/**
 * Bounded in-process store: entries live as long as a feedback token does, and the least recently
 * used go first when `max` is reached (an evicted answer's next vote counts as new again).
 */
export function createMemoryVoteStore({ max, ttlMs }: { max: number; ttlMs: number }): VoteStore {
  // The wall clock, like the token expiry it mirrors.
  const votes = new LRUCache<string, Verdict>({ max, ttl: ttlMs, perf: Date, ttlResolution: 0 });
  return {
    async record(answerKey, verdict) {
      const outcome = votes.has(answerKey) ? 'replaced' : 'new';
      votes.set(answerKey, verdict);
      return outcome;
    },
  };
}

/**
 * One id per (answer, user), the same on every vote: LangFuse updates the score with that id and
 * LangSmith the feedback, instead of adding one per vote. Shaped as a UUID because LangSmith requires one.
 */
export function voteId(traceId: string, userId: string | undefined): string {
  const hex = createHash('sha256').update(`${traceId}\u0000${userId ?? ''}`).digest('hex');
  // RFC 9562 version 8 (custom) and variant 10xx bits, so that strict UUID checks accept it.
  const variant = ((parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
