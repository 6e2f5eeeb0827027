import { describe, expect, it } from 'vitest';
import { countTokens, createOfflineProvider } from '../../src/llm/providers/offline.js';
import type { SourcePassage, StreamChunk } from '../../src/llm/types.js';
import { llmRequest } from '../helpers/llm-request.js';

// The offline provider answers from the passages alone, with the token counts the README documents.
const passage = (n: number, summary = `Finding ${n} holds. More detail.`): SourcePassage => ({ id: `p${n}`, title: `Paper ${n}`, year: 2020 + n, summary });
const live = () => new AbortController().signal;

describe('offline tokenizer', () => {
  it('counts each run of letters or digits, and each other non-space character, as a token', () => {
    expect(countTokens('')).toBe(0);
    expect(countTokens('   ')).toBe(0);
    expect(countTokens('RAG, in 2020!')).toBe(5);
    expect(countTokens('état über 42x')).toBe(3);
  });
});

describe('offline provider', () => {
  it('quotes the first sentence of up to five passages, numbered, and lists them as sources', async () => {
    const provider = createOfflineProvider();
    const request = { ...llmRequest('offline'), passages: [1, 2, 3, 4, 5, 6].map((n) => passage(n)) };
    const response = await provider.generate(request, live());
    const text = [
      'Offline mode (no model key configured): this extractive answer quotes the most relevant papers in the corpus.',
      '[1] Paper 1 (2021): Finding 1 holds.',
      '[2] Paper 2 (2022): Finding 2 holds.',
      '[3] Paper 3 (2023): Finding 3 holds.',
      '[4] Paper 4 (2024): Finding 4 holds.',
      '[5] Paper 5 (2025): Finding 5 holds.',
      'Sources: [1], [2], [3], [4], [5].',
    ].join('\n');
    const input = countTokens('be brief') + countTokens('What is RAG?');
    expect(response).toEqual({
      text,
      finishReason: 'STOP',
      usage: { input, cached: 0, output: countTokens(text), reasoning: 0, total: input + countTokens(text) },
      responseModel: 'offline-extractive',
    });
    expect(provider.system).toBe('offline');
    expect(provider.serverAddress).toBeUndefined();
  });

  it('quotes a summary whole when it has no sentence end, and ends a sentence at ?, ! or the end of the text', async () => {
    const provider = createOfflineProvider();
    const request = { ...llmRequest('offline'), passages: [passage(1, 'no full stop here'), passage(2, 'Does it work? Yes.'), passage(3, 'It works!')] };
    const { text } = await provider.generate(request, live());
    expect(text.split('\n').slice(1, 4)).toEqual(['[1] Paper 1 (2021): no full stop here', '[2] Paper 2 (2022): Does it work?', '[3] Paper 3 (2023): It works!']);
  });

  it('says so when no passage matched', async () => {
    const response = await createOfflineProvider().generate(llmRequest('offline'), live());
    expect(response.text).toBe('Offline mode (no model key configured): no paper in the corpus matched this question, so there is nothing to cite.');
  });

  it('streams line by line, with the usage on the last chunk only, and stops when aborted', async () => {
    const provider = createOfflineProvider({ chunkIntervalMs: 0 });
    const request = { ...llmRequest('offline'), passages: [passage(1)] };
    const chunks: StreamChunk[] = [];
    await provider.stream(request, live(), (chunk) => chunks.push(chunk));
    expect(chunks.map(({ text }) => text)).toEqual([
      'Offline mode (no model key configured): this extractive answer quotes the most relevant papers in the corpus.\n',
      '[1] Paper 1 (2021): Finding 1 holds.\n',
      'Sources: [1].',
    ]);
    expect(chunks.map(({ responseModel }) => responseModel)).toEqual(['offline-extractive', 'offline-extractive', 'offline-extractive']);
    const stop = new AbortController();
    const seen: string[] = [];
    const stopped = await provider
      .stream(request, stop.signal, ({ text }) => {
        seen.push(text);
        stop.abort();
      })
      .catch((error: unknown) => error);
    expect(seen).toHaveLength(1);
    expect((stopped as Error).name).toBe('AbortError');
  });
});
