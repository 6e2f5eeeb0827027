import { describe, expect, it } from 'vitest';
import { cacheKey } from '../../../src/llm/cache/key.js';
import type { LlmRequest } from '../../../src/llm/types.js';

const base: LlmRequest = {
  model: 'gemini-2.5-flash',
  system: 'You answer from the papers.',
  prompt: 'Question: what is RAG?\n[1] Paper A',
  promptRef: { name: 'research-answer', version: 2 },
  temperature: 0.2,
  maxOutputTokens: 1024,
  passages: [{ id: 'a', title: 'Paper A', year: 2024, summary: 'about RAG' }],
};

describe('cacheKey', () => {
  const key = cacheKey('gemini', base);

  it('is a SHA-256 hex digest, equal for equal requests', () => {
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(cacheKey('gemini', structuredClone(base))).toBe(key);
  });

  it.each([
    ['model', { model: 'gemini-2.5-pro' }],
    ['system text', { system: 'You answer briefly.' }],
    ['user text (retrieved passages included)', { prompt: 'Question: what is RAG?\n[1] Paper B' }],
    ['prompt name', { promptRef: { name: 'other', version: 2 } }],
    ['prompt version', { promptRef: { name: 'research-answer', version: 1 } }],
    ['temperature', { temperature: 0.3 }],
    ['max output tokens', { maxOutputTokens: 1025 }],
  ] as Array<[string, Partial<LlmRequest>]>)('changes with the %s', (_name, change) => {
    expect(cacheKey('gemini', { ...base, ...change })).not.toBe(key);
  });

  it('changes with the provider', () => {
    expect(cacheKey('offline', base)).not.toBe(key);
  });

  it('ignores streaming and the passage objects (already in the user text), and a models/ prefix', () => {
    expect(cacheKey('gemini', { ...base, stream: true, passages: [] })).toBe(key);
    expect(cacheKey('gemini', { ...base, model: 'models/gemini-2.5-flash' })).toBe(key);
  });
});
