import priceFile from './prices.json' with { type: 'json' };
import { resolveModelId } from './model-aliases.js';
import { promptTokens, type TokenUsage } from './usage.js';

interface Rates {
  input: number;
  output: number;
  cached: number;
}
interface DatedPrice extends Rates {
  /** YYYY-MM-DD, 00:00 UTC: the first day this price applies. */
  from: string;
  longContext?: Rates & { threshold: number };
}
export interface PriceTable {
  version: string;
  read: string;
  sources: Array<{ name: string; url: string; read: string }>;
  /** Prices of each model, oldest first. */
  models: Record<string, { prices: DatedPrice[] }>;
}

export const defaultPriceTable: PriceTable = priceFile;

/** USD per cost type, keyed as LangFuse's cost_details expects; `total` is the sum of the other four. A type, not an interface, so it fits LangFuse's index signature. */
export type CostDetails = {
  input: number;
  input_cached_tokens: number;
  output: number;
  output_reasoning_tokens: number;
  total: number;
};

export interface PricedCall {
  /** The table entry the price was found under, or undefined when no candidate resolves to one. */
  pricedModel: string | undefined;
  /** USD, or null when the model is unknown: an unknown cost is never reported as a number. */
  costUsd: number | null;
  details: CostDetails | null;
}

interface PriceOptions {
  /** When the call started (ms since the epoch): it picks the dated price. */
  at?: number;
  table?: PriceTable;
}

// Rounding to 1e-12 USD removes binary floating-point residue (0.03 × 200 ≠ 6 exactly) without losing precision that matters.
export const roundUsd = (usd: number) => Math.round(usd * 1e12) / 1e12;

/** The latest price whose `from` is not after `at`; the first price also covers anything earlier. */
function priceAt(prices: DatedPrice[], at: number): DatedPrice | undefined {
  let chosen = prices[0];
  for (const price of prices) if (Date.parse(`${price.from}T00:00:00Z`) <= at) chosen = price;
  return chosen;
}

/**
 * Prices one call. `modelVersion` (what actually served the call) wins over the requested model,
 * because Google re-routes retired models to others billed at their own rates.
 */
export function priceCall(
  usage: TokenUsage,
  candidates: Array<string | undefined>,
  { at = Date.now(), table = defaultPriceTable }: PriceOptions = {},
): PricedCall {
  const knownIds = new Set(Object.keys(table.models));
  const pricedModel = candidates
    .filter((model): model is string => Boolean(model))
    .map((model) => resolveModelId(model, knownIds))
    .find((model) => model !== undefined);
  const price = pricedModel ? priceAt(table.models[pricedModel]?.prices ?? [], at) : undefined;
  if (!pricedModel || !price) return { pricedModel: undefined, costUsd: null, details: null };
  const rates = price.longContext && promptTokens(usage) > price.longContext.threshold ? price.longContext : price;
  const perToken = (tokens: number, rate: number) => roundUsd((tokens * rate) / 1e6);
  const parts = {
    input: perToken(usage.input, rates.input),
    input_cached_tokens: perToken(usage.cached, rates.cached),
    output: perToken(usage.output, rates.output),
    output_reasoning_tokens: perToken(usage.reasoning, rates.output),
  };
  const total = roundUsd(parts.input + parts.input_cached_tokens + parts.output + parts.output_reasoning_tokens);
  return { pricedModel, costUsd: total, details: { ...parts, total } };
}
