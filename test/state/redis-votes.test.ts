import { describe, expect, it } from 'vitest';
import { createRedisVoteStore } from '../../src/state/redis-votes.js';
import { useRedisServer } from '../helpers/redis-per-file.js';

const redis = useRedisServer();

describe('Redis vote store', () => {
  it('says new for a first vote and replaced for the next, across replicas', async () => {
    const [a, b] = [createRedisVoteStore(await redis.client(), { ttlMs: 60_000 }), createRedisVoteStore(await redis.client(), { ttlMs: 60_000 })];
    expect(await a.record('answer-1', 'helpful')).toBe('new');
    expect(await b.record('answer-1', 'unhelpful')).toBe('replaced');
    expect(await b.record('answer-2', 'unhelpful')).toBe('new');
    const client = await redis.client();
    expect(await client.get('feedback:vote:answer-1')).toBe('unhelpful');
  });

  it('forgets a vote when the token would have expired', async () => {
    const client = await redis.client();
    const store = createRedisVoteStore(client, { ttlMs: 60_000 });
    await store.record('answer-3', 'helpful');
    const ttl = await client.pttl('feedback:vote:answer-3');
    expect(ttl).toBeGreaterThan(59_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await client.del('feedback:vote:answer-3');
    expect(await store.record('answer-3', 'helpful')).toBe('new');
  });

  it('fails the call when Redis hangs, within the command timeout', async () => {
    const store = createRedisVoteStore(await redis.client(), { ttlMs: 60_000 });
    redis.server.pause();
    await expect(store.record('answer-4', 'helpful')).rejects.toThrow(/timed out/i);
  });
});
