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
    expect(table.checked).toBe('2026-08-13');
    expect(table.source).toMatch(/ai\.google\.dev\/gemini-api\/docs\/pricing/);
    expect(table.source).toMatch(/pydantic\/genai-prices .*@ d492ce0/);
    expect(priceCall(usage(100_000, 100_000, 100_000, 0), ['gemini-3.1-pro-preview']).costUsd).toBe(1.42);
  });

  // Per 1M tokens, Standard paid tier, as the table's cited source gives them (Google's pricing page via
  // genai-prices @ d492ce0, 2026-08-13). A rate that changes must change here too, with its new source.
  it('pins every rate of every model', () => {
    expect(defaultPriceTable.models).toEqual({
      'gemini-2.5-pro': { input: 1.25, output: 10, cached: 0.125, longContext: { threshold: 200_000, input: 2.5, output: 15, cached: 0.25 } },
      'gemini-2.5-flash': { input: 0.3, output: 2.5, cached: 0.03 },
      'gemini-2.5-flash-lite': { input: 0.1, output: 0.4, cached: 0.01 },
      'gemini-3-flash-preview': { input: 0.5, output: 3, cached: 0.05 },
      'gemini-3.1-pro-preview': { input: 2, output: 12, cached: 0.2, longContext: { threshold: 200_000, input: 4, output: 18, cached: 0.4 } },
      'offline-extractive': { input: 0, output: 0, cached: 0 },
    });
  });

  it.each([
    ['gemini-2.5-flash-lite', 0.1, 0.01, 0.4],
    ['gemini-2.5-flash', 0.3, 0.03, 2.5],
    ['gemini-2.5-pro', 1.25, 0.125, 10],
    ['gemini-3-flash-preview', 0.5, 0.05, 3],
    ['gemini-3.1-pro-preview', 2, 0.2, 12],
  ])('charges %s its input, cached and output rates below 200k prompt tokens', (model, input, cached, output) => {
    // 100k tokens of one kind: below the long-context threshold, so each figure is a tenth of the rate.
    const priced = (kind: 'input' | 'cached' | 'output') =>
      priceCall(usage(kind === 'input' ? 100_000 : 0, kind === 'cached' ? 100_000 : 0, kind === 'output' ? 100_000 : 0, 0), [model]).costUsd;
    expect(priced('input')).toBeCloseTo(input / 10, 12);
    expect(priced('cached')).toBeCloseTo(cached / 10, 12);
    expect(priced('output')).toBeCloseTo(output / 10, 12);
  });
});
