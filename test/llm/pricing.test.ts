import { describe, expect, it } from 'vitest';
import { defaultPriceTable, priceCall, roundUsd } from '../../src/llm/pricing.js';

const usage = (input: number, cached: number, output: number, reasoning: number) => ({ input, cached, output, reasoning, total: input + cached + output + reasoning });
// Rates per 1M tokens, measured on 100k-token calls so that Pro stays below its long-context tier.
const perMillion = (cost: number | null) => (cost === null ? null : roundUsd(cost * 10));
const oneMillionOfEach = (model: string, at?: number) => ({
  input: perMillion(priceCall(usage(100_000, 0, 0, 0), [model], { at }).costUsd),
  output: perMillion(priceCall(usage(0, 0, 100_000, 0), [model], { at }).costUsd),
  cached: perMillion(priceCall(usage(0, 100_000, 0, 0), [model], { at }).costUsd),
});
const utc = (date: string) => Date.parse(`${date}Z`);

describe('priceCall', () => {
  it('prices cached and thinking tokens exactly, with reasoning as its own LangFuse cost key (the issue example: $0.001306)', () => {
    const priced = priceCall(usage(1000, 200, 300, 100), ['gemini-2.5-flash']);
    expect(priced.costUsd).toBe(0.001306);
    expect(priced.details).toEqual({ input: 0.0003, input_cached_tokens: 0.000006, output: 0.00075, output_reasoning_tokens: 0.00025, total: 0.001306 });
  });

  it('keeps the total equal to the sum of its parts', () => {
    const { details } = priceCall(usage(123_457, 9_871, 3_333, 7_777), ['gemini-3.5-flash']);
    // 123457 × 1.5 + 9871 × 0.15 + (3333 + 7777) × 9, per 1M tokens.
    expect(details?.total).toBe(0.28665615);
    expect(details!.input + details!.input_cached_tokens + details!.output + details!.output_reasoning_tokens).toBeCloseTo(details!.total, 15);
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
    expect(priceCall(usage(200_001, 0, 0, 0), ['gemini-3-pro-preview']).costUsd).toBe(0.800004);
    // Flash has a single tier.
    expect(priceCall(usage(300_000, 0, 0, 0), ['gemini-2.5-flash']).costUsd).toBe(0.09);
  });

  // Model, then input / output / cached USD per 1M tokens, as the sources list them for November 2026.
  const listRates = `
    gemini-2.0-flash        0.1   0.4   0.025
    gemini-2.0-flash-lite   0.075 0.3   0.075
    gemini-2.5-pro          1.25  10    0.125
    gemini-2.5-flash        0.3   2.5   0.03
    gemini-2.5-flash-lite   0.1   0.4   0.01
    gemini-3-pro-preview    2     12    0.2
    gemini-3-flash-preview  0.5   3     0.05
    gemini-3.1-pro-preview  2     12    0.2
    gemini-3.1-flash-lite   0.25  1.5   0.025
    gemini-3.5-flash        1.5   9     0.15
    gemini-3.5-flash-lite   0.3   2.5   0.03
    gemini-3.6-flash        0.75  3.75  0.075
    gemini-3.7-flash        0.75  3.75  0.075`
    .trim()
    .split('\n')
    .map((row) => row.trim().split(/\s+/));

  it.each(listRates)('prices %s at its list rates per 1M tokens in November 2026', (model, input, output, cached) => {
    expect(oneMillionOfEach(model as string, utc('2026-11-27T12:00:00'))).toEqual({ input: Number(input), output: Number(output), cached: Number(cached) });
  });

  it('prices a call by its own time: the 3.6 and 3.7 Flash prices change on 2027-01-01 (UTC)', () => {
    for (const model of ['gemini-3.6-flash', 'gemini-3.7-flash']) {
      expect(oneMillionOfEach(model, utc('2026-12-31T23:59:59.999'))).toEqual({ input: 0.75, output: 3.75, cached: 0.075 });
      expect(oneMillionOfEach(model, utc('2027-01-01T00:00:00'))).toEqual({ input: 1.5, output: 7.5, cached: 0.15 });
    }
    // A model whose price never changed prices the same either side of the date.
    expect(oneMillionOfEach('gemini-3.5-flash', utc('2027-06-01T00:00:00'))).toEqual({ input: 1.5, output: 9, cached: 0.15 });
  });

  it('applies the first price to a call dated before it, and the newest to any later call', () => {
    expect(oneMillionOfEach('gemini-3.6-flash', utc('2020-01-01T00:00:00')).input).toBe(0.75);
    expect(oneMillionOfEach('gemini-3.6-flash', utc('2031-01-01T00:00:00')).input).toBe(1.5);
  });

  it('prices by modelVersion first, then the requested model', () => {
    expect(priceCall(usage(1_000_000, 0, 0, 0), ['gemini-2.5-flash-lite', 'gemini-2.5-pro']).pricedModel).toBe('gemini-2.5-flash-lite');
    expect(priceCall(usage(1_000_000, 0, 0, 0), ['gemini-9-unknown', 'models/gemini-2.5-pro']).pricedModel).toBe('gemini-2.5-pro');
  });

  it.each([
    ['models/gemini-2.0-flash', 'gemini-2.0-flash'],
    ['gemini-2.0-flash-001', 'gemini-2.0-flash'],
    ['gemini-2.0-flash-lite-001', 'gemini-2.0-flash-lite'],
    ['models/gemini-3.5-flash-latest', 'gemini-3.5-flash'],
    ['gemini-2.5-flash-preview-09-2025', 'gemini-2.5-flash'],
    ['gemini-2.5-flash-lite-preview-09-2025', 'gemini-2.5-flash-lite'],
    ['gemini-3-pro-preview-11-2025', 'gemini-3-pro-preview'],
    ['models/gemini-3.1-flash-lite-preview-03-2026', 'gemini-3.1-flash-lite'],
  ])('resolves the alias %s to the base entry %s', (alias, base) => {
    expect(priceCall(usage(10, 0, 10, 0), [alias]).pricedModel).toBe(base);
  });

  it.each([
    'gemini-9-ultra',
    'gemini-flash-latest',
    // An older checkpoint had prices of its own: it must not borrow gemini-2.5-flash's.
    'gemini-2.5-flash-preview-05-20',
    'gemini-2.5-flash-preview',
    'gemini-2.5-flash-image',
    'gemini-2.0-flash-x',
  ])('reports the unknown model %s as unknown cost, never zero', (model) => {
    expect(priceCall(usage(10, 0, 10, 0), [model, undefined])).toEqual({ pricedModel: undefined, costUsd: null, details: null });
  });

  it.each([
    // `models/` is stripped as a prefix only, `-latest` and a checkpoint date as suffixes only.
    'gemini-2.5-models/flash',
    'gemini-2.5-flash-latest-001',
    'gemini-2.5-flash-preview-09-2025-lite',
  ])('does not strip an alias form from the middle of %s', (model) => {
    expect(priceCall(usage(10, 0, 10, 0), [model]).pricedModel).toBeUndefined();
  });

  it('ships a table that records its sources and the date they were read, and dates every price', () => {
    expect(defaultPriceTable.read).toBe('2026-11');
    expect(defaultPriceTable.sources.map((source) => source.url)).toEqual([
      'https://ai.google.dev/gemini-api/docs/pricing',
      'https://github.com/pydantic/genai-prices/blob/main/prices/providers/google.yml',
      'https://github.com/langfuse/langfuse/blob/main/worker/src/constants/default-model-prices.json',
    ]);
    for (const source of defaultPriceTable.sources) expect(source.read).toMatch(/^\d{4}-\d{2}$/);
    for (const [model, { prices }] of Object.entries(defaultPriceTable.models)) {
      const dates = prices.map((price) => price.from);
      expect(dates.every((date) => /^\d{4}-\d{2}-\d{2}$/.test(date) && !Number.isNaN(Date.parse(date))), model).toBe(true);
      expect(dates, `${model} prices are oldest first`).toEqual([...dates].sort());
    }
  });
});
