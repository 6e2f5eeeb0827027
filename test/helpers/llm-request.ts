import type { LlmRequest } from '../../src/llm/types.js';

/** A small model request, as the reasoner would build it, for tests that drive the LLM client directly. */
export const llmRequest = (model: string, stream = false): LlmRequest => ({
  model,
  system: 'be brief',
  prompt: 'What is RAG?',
  promptRef: { name: 'research-answer', version: 2 },
  temperature: 0.2,
  maxOutputTokens: 256,
  stream,
  passages: [],
});
