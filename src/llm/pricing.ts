import priceFile from './prices.json' with { type: 'json' };
import { promptTokens, type TokenUsage } from './usage.js';

interface Rates {
  input: number;
  output: number;
  cached: number;
}
interface ModelPrice extends Rates {
  longContext?: Rates & { threshold: number };
}
export interface PriceTable {
  version: string;
  models: Record<string, ModelPrice>;
}

export const defaultPriceTable: PriceTable = priceFile;

export interface PricedCall {
  /** The model id the price was found under, or undefined when neither candidate is in the table. */
  pricedModel: string | undefined;
  /** USD, or null when the model is unknown: an unknown cost is never reported as a number. */
  costUsd: number | null;
  /** Per-type breakdown in USD, the shape LangFuse's cost_details takes. */
  details: { input: number; input_cached_tokens: number; output: number; total: number } | null;
}

const normaliseModelId = (model: string) => model.replace(/^models\//, '');

// Rounding to 1e-12 USD removes binary floating-point residue (0.03 × 200 ≠ 6 exactly) without losing precision that matters.
export const roundUsd = (usd: number) => Math.round(usd * 1e12) / 1e12;

/**
 * Prices one call. `modelVersion` (what actually served the call) wins over the requested model,
 * because Google re-routes retired models to others billed at their own rates.
 */
export function priceCall(
  usage: TokenUsage,
  candidates: Array<string | undefined>,
  table: PriceTable = defaultPriceTable,
): PricedCall {
  const pricedModel = candidates
    .filter((model): model is string => Boolean(model))
    .map(normaliseModelId)
    .find((model) => model in table.models);
  if (!pricedModel) return { pricedModel: undefined, costUsd: null, details: null };
  const price = table.models[pricedModel] as ModelPrice;
  const rates =
    price.longContext && promptTokens(usage) > price.longContext.threshold ? price.longContext : price;
  const input = roundUsd((usage.input * rates.input) / 1e6);
  const cached = roundUsd((usage.cached * rates.cached) / 1e6);
  const output = roundUsd(((usage.output + usage.reasoning) * rates.output) / 1e6);
  const total = roundUsd(input + cached + output);
  return { pricedModel, costUsd: total, details: { input, input_cached_tokens: cached, output, total } };
}
