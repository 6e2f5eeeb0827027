import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LlmError } from '../../src/llm/errors.js';
import { createGeminiProvider } from '../../src/llm/providers/gemini.js';
import type { StreamChunk } from '../../src/llm/types.js';
import { DEFAULT_GEMINI_TEXT, startGeminiFake, type GeminiFake } from '../fakes/gemini.js';
import { llmFailure } from '../helpers/llm-failure.js';
import { llmRequest } from '../helpers/llm-request.js';

// The Gemini adapter alone, through the real SDK against the fake: what each kind of answer and failure
// becomes. One attempt per call; retries and telemetry belong to the client.
let gemini: GeminiFake;
beforeAll(async () => {
  gemini = await startGeminiFake({ apiKey: 'test-key' });
});
beforeEach(async () => {
  await gemini.setMode('ok');
  gemini.reset();
});
afterAll(() => gemini.close());

const model = 'gemini-2.5-flash';
const provider = () => createGeminiProvider({ apiKey: 'test-key', baseUrl: gemini.url });
const live = () => new AbortController().signal;
// The fake's default usage: 1200 prompt tokens of which 200 cached, 300 candidates, 100 thoughts.
const fullUsage = { input: 1000, cached: 200, output: 300, reasoning: 100, total: 1600 };
// What the fake reports before the last chunk, or with a blocked prompt: the prompt only.
const promptOnlyUsage = { input: 1200, cached: 0, output: 0, reasoning: 0, total: 1200 };


// The fake's default answer, served by the model version the tests script.
const fullAnswer = {
  text: DEFAULT_GEMINI_TEXT,
  finishReason: 'STOP',
  usage: fullUsage,
  responseModel: 'gemini-2.5-flash-001',
  responseId: expect.stringMatching(/^[\w-]{22}$/),
};

const fields = (error: LlmError) => ({
  type: error.type,
  message: error.message,
  retryable: error.retryable,
  retryAfterMs: error.retryAfterMs,
  upstreamStatus: error.upstreamStatus,
  usage: error.usage,
  responseModel: error.responseModel,
});

describe('Gemini provider: answers', () => {
  it('names itself and the server it calls, by host and port', () => {
    expect(provider().system).toBe('gcp.gemini');
    expect(provider().serverAddress).toEqual({ host: '127.0.0.1', port: gemini.port });
    expect(createGeminiProvider({ apiKey: 'k' }).serverAddress).toEqual({ host: 'generativelanguage.googleapis.com', port: 443 });
    expect(createGeminiProvider({ apiKey: 'k', baseUrl: 'http://gemini.internal' }).serverAddress).toEqual({ host: 'gemini.internal', port: 80 });
  });

  it('returns a unary answer with its text, finish reason, usage, serving model and response id', async () => {
    gemini.enqueue({ kind: 'ok', modelVersion: 'gemini-2.5-flash-001' });
    const response = await provider().generate(llmRequest(model), live());
    expect(response).toEqual(fullAnswer);
    expect(gemini.calls).toEqual([
      {
        model,
        action: 'generateContent',
        body: expect.objectContaining({
          contents: [{ role: 'user', parts: [{ text: 'What is RAG?' }] }],
          systemInstruction: { role: 'system', parts: [{ text: 'be brief' }] },
          generationConfig: { temperature: 0.2, maxOutputTokens: 256 },
        }),
      },
    ]);
  });

  it('sends each request with its own system prompt and settings, even when the model is the same', async () => {
    const gemini25 = provider();
    await gemini25.generate(llmRequest(model), live());
    await gemini25.generate({ ...llmRequest(model), system: 'be thorough' }, live());
    await gemini25.generate({ ...llmRequest(model), temperature: 0.7 }, live());
    await gemini25.generate({ ...llmRequest(model), maxOutputTokens: 64 }, live());
    await gemini25.generate(llmRequest('gemini-2.5-pro'), live());
    expect(gemini.calls.map(({ model: called, body }) => [called, body.systemInstruction?.parts?.[0]?.text, body.generationConfig])).toEqual([
      [model, 'be brief', { temperature: 0.2, maxOutputTokens: 256 }],
      [model, 'be thorough', { temperature: 0.2, maxOutputTokens: 256 }],
      [model, 'be brief', { temperature: 0.7, maxOutputTokens: 256 }],
      [model, 'be brief', { temperature: 0.2, maxOutputTokens: 64 }],
      ['gemini-2.5-pro', 'be brief', { temperature: 0.2, maxOutputTokens: 256 }],
    ]);
  });

  it('streams every chunk to onChunk as it arrives, and answers with the whole text and the last chunk’s usage', async () => {
    gemini.enqueue({ kind: 'ok', modelVersion: 'gemini-2.5-flash-001' });
    const chunks: StreamChunk[] = [];
    const response = await provider().stream(llmRequest(model, true), live(), (chunk) => chunks.push(chunk));
    expect(chunks.map(({ text }) => text).join('')).toBe(DEFAULT_GEMINI_TEXT);
    expect(chunks).toHaveLength(3);
    expect(chunks.map(({ usage, responseModel }) => [usage, responseModel])).toEqual([
      [promptOnlyUsage, 'gemini-2.5-flash-001'],
      [promptOnlyUsage, 'gemini-2.5-flash-001'],
      [fullUsage, 'gemini-2.5-flash-001'],
    ]);
    expect(response).toEqual(fullAnswer);
    expect(gemini.calls.map(({ action }) => action)).toEqual(['streamGenerateContent']);
  });

  it('streams a request marked `stream` even through generate', async () => {
    const response = await provider().generate(llmRequest(model, true), live());
    expect(response.text).toBe(DEFAULT_GEMINI_TEXT);
    expect(response.usage).toEqual(fullUsage);
    expect(gemini.calls.map(({ action }) => action)).toEqual(['streamGenerateContent']);
  });
});

describe('Gemini provider: answers that are failures', () => {
  it('fails a blocked prompt as blocked, not retryable, with the prompt tokens it was billed', async () => {
    gemini.enqueue({ kind: 'blocked', reason: 'PROHIBITED_CONTENT' });
    expect(fields(await llmFailure(provider().generate(llmRequest(model), live())))).toEqual({
      type: 'blocked',
      message: 'prompt blocked by the model: PROHIBITED_CONTENT',
      retryable: false,
      retryAfterMs: undefined,
      upstreamStatus: undefined,
      usage: promptOnlyUsage,
      responseModel: model,
    });
  });

  it('fails an answer withheld for each blocking finish reason as blocked, with its usage', async () => {
    for (const reason of ['SAFETY', 'RECITATION', 'LANGUAGE', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII']) {
      gemini.enqueue({ kind: 'finish', finishReason: reason });
      const error = await llmFailure(provider().generate(llmRequest(model), live()));
      expect([error.type, error.message, error.retryable, error.usage]).toEqual(['blocked', `answer withheld by the model: finishReason ${reason}`, false, fullUsage]);
    }
  });

  it('accepts an answer with any other finish reason that has text', async () => {
    gemini.enqueue({ kind: 'finish', finishReason: 'MAX_TOKENS', text: 'cut short' });
    expect(await provider().generate(llmRequest(model), live())).toMatchObject({ text: 'cut short', finishReason: 'MAX_TOKENS', usage: fullUsage });
  });

  it('fails an empty answer as max_tokens when the budget ran out (billed for the thinking), else as malformed', async () => {
    gemini.enqueue({ kind: 'finish', finishReason: 'MAX_TOKENS', text: '' }, { kind: 'finish', finishReason: 'STOP', text: '' });
    expect(fields(await llmFailure(provider().generate(llmRequest(model), live())))).toEqual({
      type: 'max_tokens',
      message: 'model returned no text (finishReason MAX_TOKENS)',
      retryable: false,
      retryAfterMs: undefined,
      upstreamStatus: undefined,
      usage: fullUsage,
      responseModel: model,
    });
    const empty = await llmFailure(provider().generate(llmRequest(model), live()));
    expect([empty.type, empty.message, empty.usage]).toEqual(['malformed', 'model returned no text (finishReason STOP)', fullUsage]);
  });

  it('fails a whitespace-only streamed answer as malformed', async () => {
    gemini.enqueue({ kind: 'finish', finishReason: 'STOP', text: '  \n ' });
    const error = await llmFailure(provider().stream(llmRequest(model, true), live(), () => undefined));
    expect([error.type, error.message]).toEqual(['malformed', 'model returned no text (finishReason STOP)']);
  });

  it('fails an unparseable answer as malformed, unary or streamed', async () => {
    gemini.enqueue({ kind: 'malformed' }, { kind: 'malformed' });
    const unary = await llmFailure(provider().generate(llmRequest(model), live()));
    expect([unary.type, unary.message, unary.retryable]).toEqual(['malformed', 'model response could not be parsed', false]);
    expect(unary.cause).toBeInstanceOf(Error);
    const streamed = await llmFailure(provider().stream(llmRequest(model, true), live(), () => undefined));
    expect([streamed.type, streamed.message]).toEqual(['malformed', 'model response could not be parsed']);
  });

  it('fails a stream that breaks after its first chunk as stream_error, keeping what was billed so far', async () => {
    gemini.enqueue({ kind: 'midstream-error' });
    const chunks: string[] = [];
    const error = await llmFailure(provider().stream(llmRequest(model, true), live(), ({ text }) => chunks.push(text)));
    expect(chunks).toHaveLength(1);
    expect(fields(error)).toEqual({
      type: 'stream_error',
      message: `stream failed after ${chunks[0]!.length} characters: The model is overloaded. Please try again later.`,
      retryable: false,
      retryAfterMs: undefined,
      upstreamStatus: 503,
      usage: promptOnlyUsage,
      responseModel: model,
    });
  });
});

describe('Gemini provider: HTTP and network failures', () => {
  it('maps a 429 to rate_limited, retryable after the RetryInfo delay', async () => {
    gemini.enqueue({ kind: 'error', status: 429, retryDelay: '0.25s' }, { kind: 'error', status: 429 });
    expect(fields(await llmFailure(provider().generate(llmRequest(model), live())))).toEqual({
      type: 'rate_limited',
      message: 'model rate limit (429)',
      retryable: true,
      retryAfterMs: 250,
      upstreamStatus: 429,
      usage: undefined,
      responseModel: undefined,
    });
    expect((await llmFailure(provider().generate(llmRequest(model), live()))).retryAfterMs).toBe(38_000);
  });

  it('does not retry a 429 for an exhausted daily quota', async () => {
    gemini.enqueue({ kind: 'error', status: 429, quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier' });
    const error = await llmFailure(provider().generate(llmRequest(model), live()));
    expect([error.type, error.message, error.retryable, error.retryAfterMs]).toEqual(['rate_limited', 'model rate limit (429), daily quota exhausted', false, 38_000]);
  });

  it('maps 5xx to a retryable server_error and other 4xx to a client_error that is not', async () => {
    for (const status of [500, 503, 504] as const) {
      gemini.enqueue({ kind: 'error', status });
      const error = await llmFailure(provider().generate(llmRequest(model), live()));
      expect([error.type, error.message, error.retryable, error.upstreamStatus, error.retryAfterMs]).toEqual(['server_error', `model server error (${status})`, true, status, undefined]);
    }
    for (const status of [400, 404] as const) {
      gemini.enqueue({ kind: 'error', status });
      const error = await llmFailure(provider().generate(llmRequest(model), live()));
      expect([error.type, error.message, error.retryable, error.upstreamStatus]).toEqual(['client_error', `model rejected the request (${status})`, false, status]);
    }
  });

  it('maps an HTML error page to the status it came with', async () => {
    gemini.enqueue({ kind: 'error', status: 500, html: true });
    const error = await llmFailure(provider().generate(llmRequest(model), live()));
    expect([error.type, error.upstreamStatus]).toEqual(['server_error', 500]);
  });

  it('maps an unreachable server to a retryable network error', async () => {
    await gemini.setMode('down');
    const error = await llmFailure(provider().generate(llmRequest(model), live()));
    expect([error.type, error.message, error.retryable, error.upstreamStatus]).toEqual(['network', 'model could not be reached', true, undefined]);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('maps an aborted call to a retryable timeout, unary or streamed', async () => {
    gemini.enqueue({ kind: 'hang' }, { kind: 'hang' });
    for (const call of [
      (signal: AbortSignal) => provider().generate(llmRequest(model), signal),
      (signal: AbortSignal) => provider().stream(llmRequest(model, true), signal, () => undefined),
    ]) {
      const controller = new AbortController();
      const callsBefore = gemini.calls.length;
      const pending = llmFailure(call(controller.signal));
      await expect.poll(() => gemini.calls.length).toBe(callsBefore + 1);
      controller.abort();
      const error = await pending;
      expect([error.type, error.message, error.retryable]).toEqual(['timeout', 'model call timed out', true]);
      expect(error.cause).toBeInstanceOf(Error);
    }
  });
});
