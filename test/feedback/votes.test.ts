import { describe, expect, it, vi } from 'vitest';
import { createMemoryVoteStore, voteId } from '../../src/feedback/votes.js';

describe('in-process vote store', () => {
  it('says new for the first vote on an answer and replaced for every later one', async () => {
    const votes = createMemoryVoteStore({ max: 10, ttlMs: 60_000 });
    expect(await votes.record('a', 'helpful')).toBe('new');
    expect(await votes.record('a', 'unhelpful')).toBe('replaced');
    expect(await votes.record('a', 'unhelpful')).toBe('replaced');
    expect(await votes.record('b', 'helpful')).toBe('new');
  });

  it('stays bounded: past `max` answers the least recently voted is forgotten', async () => {
    const votes = createMemoryVoteStore({ max: 2, ttlMs: 60_000 });
    await votes.record('a', 'helpful');
    await votes.record('b', 'helpful');
    await votes.record('c', 'helpful');
    expect(await votes.record('b', 'helpful')).toBe('replaced');
    expect(await votes.record('a', 'helpful')).toBe('new');
  });

  it('forgets a vote once its token could no longer be used', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(new Date('2026-11-27T12:00:00Z'));
      const votes = createMemoryVoteStore({ max: 10, ttlMs: 60_000 });
      await votes.record('a', 'helpful');
      vi.setSystemTime(new Date('2026-11-27T12:00:59Z'));
      expect(await votes.record('a', 'helpful')).toBe('replaced');
      vi.setSystemTime(new Date('2026-11-27T12:02:00Z'));
      expect(await votes.record('a', 'helpful')).toBe('new');
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('vote id', () => {
  it('is one UUID per trace and user, the same on every call', () => {
    const id = voteId('0123456789abcdef0123456789abcdef', 'alice');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(voteId('0123456789abcdef0123456789abcdef', 'alice')).toBe(id);
    expect(voteId('0123456789abcdef0123456789abcdef', 'bob')).not.toBe(id);
    expect(voteId('fedcba9876543210fedcba9876543210', 'alice')).not.toBe(id);
  });
});
