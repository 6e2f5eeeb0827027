const windowMs = 15 * 60 * 1000;
const maxTracked = 100_000;

/** Sessions seen within the window, pruned lazily; bounded so that a flood of ids cannot grow memory. */
export function createSessionTracker(now: () => number = Date.now) {
  const lastSeen = new Map<string, number>();
  return {
    touch(sessionKey: string) {
      lastSeen.delete(sessionKey);
      if (lastSeen.size >= maxTracked) lastSeen.delete(lastSeen.keys().next().value as string);
      lastSeen.set(sessionKey, now());
    },
    active(): number {
      const cutoff = now() - windowMs;
      // Insertion order is last-seen order, so expired entries are all at the front.
      for (const [key, seen] of lastSeen) {
        if (seen >= cutoff) break;
        lastSeen.delete(key);
      }
      return lastSeen.size;
    },
  };
}
