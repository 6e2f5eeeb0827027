import { describe, expect, it } from 'vitest';
import { createSessionTracker } from '../../src/telemetry/support/sessions.js';

const minute = 60_000;

describe('active session tracker', () => {
  it('counts distinct sessions seen in the last 15 minutes', () => {
    let now = 0;
    const sessions = createSessionTracker(() => now);
    sessions.touch('a');
    sessions.touch('b');
    sessions.touch('a');
    expect(sessions.active()).toBe(2);
    now = 15 * minute;
    sessions.touch('b');
    // `a` was seen exactly 15 minutes ago: still inside the window.
    expect(sessions.active()).toBe(2);
    now += 1;
    expect(sessions.active()).toBe(1);
    now += 15 * minute;
    expect(sessions.active()).toBe(0);
  });

  it('tracks at most 100 000 sessions, forgetting the least recently seen', () => {
    let now = 0;
    const sessions = createSessionTracker(() => now);
    for (let i = 0; i < 100_000; i += 1) sessions.touch(`s${i}`);
    expect(sessions.active()).toBe(100_000);
    now = 1;
    sessions.touch('s0'); // seen again: now among the most recent
    sessions.touch('one-more'); // pushes out s1, the least recently seen
    expect(sessions.active()).toBe(100_000);
    now = 15 * minute + 1;
    expect(sessions.active()).toBe(2);
  });
});
