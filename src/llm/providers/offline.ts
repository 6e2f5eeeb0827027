import { setTimeout as sleep } from 'node:timers/promises';
import type { LlmProvider, LlmRequest, ProviderResponse, SourcePassage } from '../types.js';

const tokenPattern = /[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu;

/** The offline tokenizer the README documents: each run of letters/digits and each other non-space character is a token. */
export const countTokens = (text: string): number => text.match(tokenPattern)?.length ?? 0;

const firstSentence = (text: string) => text.match(/^.*?[.!?](\s|$)/)?.[0].trim() ?? text;

function composeAnswer(request: LlmRequest): string {
  const cited = request.passages.slice(0, 5);
  if (cited.length === 0) {
    return 'Offline mode (no model key configured): no paper in the corpus matched this question, so there is nothing to cite.';
  }
  const lines = cited.map((passage: SourcePassage, index) => `[${index + 1}] ${passage.title} (${passage.year}): ${firstSentence(passage.summary)}`);
  return [
    'Offline mode (no model key configured): this extractive answer quotes the most relevant papers in the corpus.',
    ...lines,
    `Sources: ${cited.map((_, index) => `[${index + 1}]`).join(', ')}.`,
  ].join('\n');
}

function answer(request: LlmRequest): ProviderResponse {
  const text = composeAnswer(request);
  const input = countTokens(request.system) + countTokens(request.prompt);
  const output = countTokens(text);
  return {
    text,
    finishReason: 'STOP',
    usage: { input, cached: 0, output, reasoning: 0, total: input + output },
    responseModel: 'offline-extractive',
  };
}

/**
 * Answers without a model so that a fresh machine with no keys still serves queries. Costs nothing.
 * Streams line by line, `chunkIntervalMs` apart, so the page shows an answer being written.
 */
export function createOfflineProvider({ chunkIntervalMs = 40 }: { chunkIntervalMs?: number } = {}): LlmProvider {
  return {
    system: 'offline',
    async generate(request) {
      return answer(request);
    },
    async stream(request, signal, onChunk) {
      const response = answer(request);
      const lines = response.text.split(/(?<=\n)/);
      for (const [index, line] of lines.entries()) {
        if (index > 0) await sleep(chunkIntervalMs, undefined, { signal });
        const last = index === lines.length - 1;
        onChunk({ text: line, usage: last ? response.usage : undefined, responseModel: response.responseModel });
      }
      return response;
    },
  };
}
