import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cacheKey, canonicalRequest } from '../../../src/llm/cache/key.js';
import type { LlmRequest } from '../../../src/llm/types.js';
import { llmRequest } from '../../helpers/llm-request.js';

const request: LlmRequest = {
  ...llmRequest('models/gemini-2.5-flash', true),
  passages: [{ id: 'a', title: 'Paper A', year: 2024, summary: 'about RAG' }],
};

describe('canonicalRequest', () => {
  it('is the fixed-order JSON of every answer-changing field, models/ prefix dropped', () => {
    expect(canonicalRequest('gemini', request)).toBe(
      JSON.stringify({
        version: 1,
        provider: 'gemini',
        model: 'gemini-2.5-flash',
        prompt: { name: 'research-answer', version: 2 },
        system: 'be brief',
        user: 'What is RAG?',
        parameters: { temperature: 0.2, max_output_tokens: 256 },
        fields: ['model', 'system', 'prompt', 'promptRef', 'temperature', 'maxOutputTokens'],
      }),
    );
  });

  it('drops only a leading models/ prefix', () => {
    const parsed = (model: string) => JSON.parse(canonicalRequest('gemini', { ...request, model })).model;
    expect(parsed('tuned/models/x')).toBe('tuned/models/x');
    expect(parsed('models/models/x')).toBe('models/x');
  });
});

describe('cacheKey', () => {
  it('is the SHA-256 hex of the canonical request', () => {
    const expected = createHash('sha256').update(canonicalRequest('gemini', request)).digest('hex');
    expect(cacheKey('gemini', request)).toBe(expected);
  });
});
