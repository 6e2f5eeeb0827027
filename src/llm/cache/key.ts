import { createHash } from 'node:crypto';
import type { LlmRequest } from '../types.js';

/**
 * Whether each request field changes the answer. Typed over every key of LlmRequest, so a new field
 * cannot be added without deciding here whether it belongs in the key (LiteLLM's fault: parameters
 * left out of the key let different requests share an answer).
 */
const answerChangingFields: Record<keyof LlmRequest, boolean> = {
  model: true,
  system: true,
  prompt: true,
  promptRef: true,
  temperature: true,
  maxOutputTokens: true,
  // Streaming changes the transport, not the answer.
  stream: false,
  // Already rendered into `prompt`; a changed corpus changes that text and so the key.
  passages: false,
};

const normaliseModelId = (model: string) => model.replace(/^models\//, '');

/** The canonical form hashed into the key: fixed field order, every generation parameter explicit. */
export function canonicalRequest(providerName: string, request: LlmRequest): string {
  const keyed = Object.entries(answerChangingFields).filter(([, changes]) => changes).map(([field]) => field);
  const canonical = {
    version: 1,
    provider: providerName,
    model: normaliseModelId(request.model),
    prompt: { name: request.promptRef.name, version: request.promptRef.version },
    system: request.system,
    user: request.prompt,
    parameters: { temperature: request.temperature, max_output_tokens: request.maxOutputTokens },
    fields: keyed,
  };
  return JSON.stringify(canonical);
}

/** SHA-256 (hex) of the canonical request: equal only when every answer-changing input is equal. */
export function cacheKey(providerName: string, request: LlmRequest): string {
  return createHash('sha256').update(canonicalRequest(providerName, request)).digest('hex');
}
