import { priceCall, type PriceTable, defaultPriceTable } from '../pricing.js';
import type { LlmRequest } from '../types.js';

// The model wraps the text in its own turn markers; a fixed allowance covers them for short prompts.
const FRAMING_TOKENS = 64;

/**
 * The most a call can cost, priced by the same code as its actual cost. Every token is at least one
 * byte of UTF-8, so the prompt's byte length bounds its token count from above; the output is bounded
 * by maxOutputTokens, which on Gemini 2.5 includes the thinking tokens (both bill at the output rate).
 * Null when the model is not in the price table: nothing can be reserved for an unknown price.
 */
export function worstCaseCostUsd(request: LlmRequest, table: PriceTable = defaultPriceTable): number | null {
  const promptBound = Buffer.byteLength(request.system, 'utf8') + Buffer.byteLength(request.prompt, 'utf8') + FRAMING_TOKENS;
  const usage = { input: promptBound, cached: 0, output: request.maxOutputTokens, reasoning: 0, total: promptBound + request.maxOutputTokens };
  return priceCall(usage, [request.model], { table }).costUsd;
}
