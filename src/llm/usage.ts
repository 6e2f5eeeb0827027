/** Token counts in the service's vocabulary: input excludes cached tokens, output excludes reasoning. */
export interface TokenUsage {
  input: number;
  cached: number;
  output: number;
  reasoning: number;
  total: number;
}

/** The `usageMetadata` fields of a Gemini response that bear on cost (0.24.1 types lack some of them). */
export interface GeminiUsageMetadata {
  promptTokenCount?: number;
  cachedContentTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  toolUsePromptTokenCount?: number;
  totalTokenCount?: number;
}

export const emptyUsage = (): TokenUsage => ({ input: 0, cached: 0, output: 0, reasoning: 0, total: 0 });

/**
 * promptTokenCount includes the cached tokens and candidatesTokenCount excludes the thinking tokens,
 * so cached is subtracted from the prompt and reasoning is kept apart from the output.
 */
export function usageFromGemini(metadata: GeminiUsageMetadata | undefined): TokenUsage {
  if (!metadata) return emptyUsage();
  const prompt = (metadata.promptTokenCount ?? 0) + (metadata.toolUsePromptTokenCount ?? 0);
  const cached = metadata.cachedContentTokenCount ?? 0;
  const output = metadata.candidatesTokenCount ?? 0;
  const reasoning = metadata.thoughtsTokenCount ?? 0;
  return {
    input: Math.max(0, prompt - cached),
    cached,
    output,
    reasoning,
    total: metadata.totalTokenCount ?? prompt + output + reasoning,
  };
}

/** Tokens the model was prompted with, the quantity that selects a long-context price tier. */
export const promptTokens = (usage: TokenUsage): number => usage.input + usage.cached;
