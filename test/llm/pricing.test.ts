import { describe, expect, it } from 'vitest';
import { defaultPriceTable, priceCall } from '../../src/llm/pricing.js';

const usage = (input: number, cached: number, output: number, reasoning: number) => ({ input, cached, output, reasoning, total: input + cached + output + reasoning });

describe('priceCall', () => {
  it('prices cached and thinking tokens exactly (the issue example: $0.001306)', () => {
    const priced = priceCall(usage(1000, 200, 300, 100), ['gemini-2.5-flash']);
    expect(priced.costUsd).toBe(0.001306);
    expect(priced.details).toEqual({ input: 0.0003, input_cached_tokens: 0.000006, output: 0.001, total: 0.001306 });
  });

  it('bills thinking tokens at the output rate', () => {
    const withoutThinking = priceCall(usage(0, 0, 1000, 0), ['gemini-2.5-pro']).costUsd;
    const thinkingOnly = priceCall(usage(0, 0, 0, 1000), ['gemini-2.5-pro']).costUsd;
    expect(thinkingOnly).toBe(withoutThinking);
    expect(thinkingOnly).toBe(0.01);
  });

  it('switches to the long-context tier above 200k prompt tokens, counting cached tokens', () => {
    expect(priceCall(usage(200_000, 0, 1000, 0), ['gemini-2.5-pro']).costUsd).toBe(0.26);
    expect(priceCall(usage(150_000, 50_001, 1000, 0), ['gemini-2.5-pro']).costUsd).toBe(0.40250025);
    // Flash has a single tier.
    expect(priceCall(usage(300_000, 0, 0, 0), ['gemini-2.5-flash']).costUsd).toBe(0.09);
  });

  it('prices by modelVersion first, then the requested model, ignoring a models/ prefix', () => {
    expect(priceCall(usage(1_000_000, 0, 0, 0), ['gemini-2.5-flash-lite', 'gemini-2.5-pro']).pricedModel).toBe('gemini-2.5-flash-lite');
    expect(priceCall(usage(1_000_000, 0, 0, 0), ['gemini-9-unknown', 'models/gemini-2.5-pro']).pricedModel).toBe('gemini-2.5-pro');
  });

  it('reports an unknown model as unknown cost, never zero', () => {
    expect(priceCall(usage(10, 0, 10, 0), ['gemini-9-ultra', undefined])).toEqual({ pricedModel: undefined, costUsd: null, details: null });
  });

  it('ships a dated, sourced table with every model the issue lists', () => {
    const table = defaultPriceTable as typeof defaultPriceTable & { source: string; checked: string };
    expect(table.version).toBe('2026-08');
    expect(table.source).toMatch(/ai\.google\.dev/);
    for (const model of ['gemini-2.5-pro', 'gemini-2.5-flash', 'gemini-2.5-flash-lite', 'gemini-3-flash-preview', 'gemini-3.1-pro-preview']) {
      expect(table.models[model], model).toBeDefined();
    }
    expect(priceCall(usage(100_000, 100_000, 100_000, 0), ['gemini-3.1-pro-preview']).costUsd).toBe(1.42);
  });
});
