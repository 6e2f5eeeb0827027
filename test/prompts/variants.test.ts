import { describe, expect, it } from 'vitest';
import { assignVariant, experimentName } from '../../src/prompts/variants.js';

const split = [
  { label: 'production', weight: 50 },
  { label: 'candidate', weight: 50 },
];

describe('variant assignment', () => {
  it('gives a user the same variant every time, and another prompt may split them differently', () => {
    for (let user = 0; user < 50; user += 1) {
      const first = assignVariant(split, 'research-answer', `user-${user}`).label;
      for (let again = 0; again < 5; again += 1) expect(assignVariant(split, 'research-answer', `user-${user}`).label).toBe(first);
    }
    const differs = Array.from({ length: 50 }, (_, user) => `user-${user}`).some(
      (key) => assignVariant(split, 'research-answer', key).label !== assignVariant(split, 'other-prompt', key).label,
    );
    expect(differs).toBe(true);
  });

  it('follows the weights over many users', () => {
    const weighted = [
      { label: 'a', weight: 80 },
      { label: 'b', weight: 20 },
    ];
    const counts = { a: 0, b: 0 };
    for (let user = 0; user < 10_000; user += 1) counts[assignVariant(weighted, 'p', `u${user}`).label as 'a' | 'b'] += 1;
    // Binomial(10000, 0.2): the standard deviation is 40, so ±200 is five of them.
    expect(counts.b).toBeGreaterThan(1800);
    expect(counts.b).toBeLessThan(2200);
  });

  it('assigns at random without a key, and always the only variant when there is one', () => {
    const seen = new Set(Array.from({ length: 200 }, () => assignVariant(split, 'p', undefined).label));
    expect(seen).toEqual(new Set(['production', 'candidate']));
    expect(assignVariant([{ label: 'production', weight: 100 }], 'p', 'anyone').label).toBe('production');
  });

  it('names the experiment after the prompt and its split', () => {
    expect(experimentName('research-answer', split)).toBe('research-answer:production=50,candidate=50');
  });
});
