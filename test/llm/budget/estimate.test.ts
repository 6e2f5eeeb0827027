import { describe, expect, it } from 'vitest';
import { worstCaseCostUsd } from '../../../src/llm/budget/estimate.js';
import { defaultPriceTable } from '../../../src/llm/pricing.js';
import { llmRequest } from '../../helpers/llm-request.js';

describe('worstCaseCostUsd', () => {
  it('prices every prompt byte (plus 64 framing tokens) as input and maxOutputTokens as output', () => {
    // 'be brief' (8 bytes) + 'What is RAG?' (12) + 64 = 84 input tokens; 256 output tokens.
    expect(worstCaseCostUsd(llmRequest('gemini-2.5-flash'))).toBeCloseTo((84 * 0.3 + 256 * 2.5) / 1e6, 15);
  });

  it('counts UTF-8 bytes, so non-ASCII text cannot be under-counted', () => {
    const request = { ...llmRequest('gemini-2.5-flash'), prompt: 'é'.repeat(10) };
    expect(worstCaseCostUsd(request)).toBeCloseTo(((8 + 20 + 64) * 0.3 + 256 * 2.5) / 1e6, 15);
  });

  it('bounds what the Gemini fake bills for the same request (1200 prompt tokens, 400 output)', () => {
    const request = { ...llmRequest('gemini-2.5-flash'), prompt: 'x'.repeat(1200), maxOutputTokens: 400 };
    expect(worstCaseCostUsd(request)).toBeGreaterThanOrEqual(0.001306);
  });

  it('uses the long-context rates above the threshold', () => {
    const request = { ...llmRequest('gemini-2.5-pro'), prompt: 'x'.repeat(250_000), maxOutputTokens: 1000 };
    expect(worstCaseCostUsd(request)).toBeCloseTo(((8 + 250_000 + 64) * 2.5 + 1000 * 15) / 1e6, 12);
  });

  it('prices by the table it is given', () => {
    const table = { ...defaultPriceTable, models: { 'house-model': { prices: [{ from: '2026-01-01', input: 1, output: 10, cached: 0.1 }] } } };
    // 84 input tokens at 1 USD and 256 output tokens at 10 USD per 1M.
    expect(worstCaseCostUsd(llmRequest('house-model'), table)).toBe(0.002644);
    expect(worstCaseCostUsd(llmRequest('gemini-2.5-flash'), table)).toBeNull();
  });

  it('is null for a model the price table does not know', () => {
    expect(worstCaseCostUsd(llmRequest('mystery-model'))).toBeNull();
  });
});
