import type { Redis } from 'ioredis';
import type { VoteStore } from '../feedback/votes.js';

/**
 * The shared counterpart of the in-process VoteStore (src/feedback/votes.ts, issue 13): every replica
 * sees the same votes, so a repeated vote replaces the first one whichever replica receives it. One
 * SET … GET both records the verdict and says whether there was one, atomically; entries expire with
 * the feedback token.
 */
export function createRedisVoteStore(redis: Redis, { ttlMs }: { ttlMs: number }): VoteStore {
  return {
    async record(answerKey, verdict) {
      const previous = await redis.set(`feedback:vote:${answerKey}`, verdict, 'PX', ttlMs, 'GET');
      return previous === null ? 'new' : 'replaced';
    },
  };
}
