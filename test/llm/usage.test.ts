import { describe, expect, it } from 'vitest';
import { usageFromGemini } from '../../src/llm/usage.js';

describe('usageFromGemini', () => {
  it('separates cached from input and reasoning from output', () => {
    expect(
      usageFromGemini({ promptTokenCount: 1200, cachedContentTokenCount: 200, candidatesTokenCount: 300, thoughtsTokenCount: 100, totalTokenCount: 1600 }),
    ).toEqual({ input: 1000, cached: 200, output: 300, reasoning: 100, total: 1600 });
  });

  it('treats missing fields as zero and derives the total', () => {
    expect(usageFromGemini({ promptTokenCount: 10 })).toEqual({ input: 10, cached: 0, output: 0, reasoning: 0, total: 10 });
    expect(usageFromGemini(undefined)).toEqual({ input: 0, cached: 0, output: 0, reasoning: 0, total: 0 });
    // Without totalTokenCount: prompt (cached included) + candidates + thoughts.
    expect(usageFromGemini({ promptTokenCount: 1200, cachedContentTokenCount: 200, candidatesTokenCount: 300, thoughtsTokenCount: 100 }).total).toBe(1600);
  });

  it('counts tool-use prompt tokens as input', () => {
    expect(usageFromGemini({ promptTokenCount: 100, toolUsePromptTokenCount: 20, candidatesTokenCount: 5 }).input).toBe(120);
  });
});
