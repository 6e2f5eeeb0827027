import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGeminiProvider } from '../../src/llm/providers/gemini.js';
import { sendJson, startHttpFake, type HttpFake } from '../fakes/http-fake.js';
import { llmFailure } from '../helpers/llm-failure.js';
import { llmRequest } from '../helpers/llm-request.js';

// The Gemini adapter against answers the scripted fake does not produce but the API may send: chunks and
// bodies with parts missing, 429s with their details in another order or absent, streams that end early.
// Each test serves the exact bytes; the real SDK parses them.
let server: HttpFake;
let reply: (res: ServerResponse) => void = () => undefined;
beforeAll(async () => {
  server = await startHttpFake({ handle: (_req, res) => reply(res) });
});
afterAll(() => server.close());

const model = 'gemini-2.5-flash';
const provider = () => createGeminiProvider({ apiKey: 'test-key', baseUrl: server.url });
const live = () => new AbortController().signal;
const usageMetadata = { promptTokenCount: 10, candidatesTokenCount: 4, totalTokenCount: 14 };
const usage = { input: 10, cached: 0, output: 4, reasoning: 0, total: 14 };

/** Writes the chunks as server-sent events; with `keepOpen`, leaves the stream open for the test to cut. */
function sse(res: ServerResponse, chunks: object[], { keepOpen = false } = {}) {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const chunk of chunks) res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  if (!keepOpen) res.end();
}


describe('Gemini provider: unusual answers', () => {
  it('reads text only from parts that have it, and takes STOP when no finish reason is given', async () => {
    reply = (res) => sendJson(res, 200, { candidates: [{ content: { role: 'model', parts: [{ text: 'A ' }, { inlineData: {} }, { text: 'B' }] } }], usageMetadata, modelVersion: model });
    expect(await provider().generate(llmRequest(model), live())).toEqual({ text: 'A B', finishReason: 'STOP', usage, responseModel: model, responseId: undefined });
  });

  it('fails a body with no candidate as malformed, keeping its usage', async () => {
    reply = (res) => sendJson(res, 200, { usageMetadata, modelVersion: model });
    const error = await llmFailure(provider().generate(llmRequest(model), live()));
    expect([error.type, error.message, error.usage, error.responseModel, error.name]).toEqual(['malformed', 'response has no candidates', usage, model, 'LlmError']);
  });

  it('fails a candidate without parts as an empty answer', async () => {
    reply = (res) => sendJson(res, 200, { candidates: [{ content: { role: 'model' }, finishReason: 'STOP' }], usageMetadata });
    const error = await llmFailure(provider().generate(llmRequest(model), live()));
    expect([error.type, error.message]).toEqual(['malformed', 'model returned no text (finishReason STOP)']);
  });

  it('fails a candidate with no content at all as an empty answer, max_tokens when the budget ran out', async () => {
    reply = (res) => sendJson(res, 200, { candidates: [{ finishReason: 'MAX_TOKENS' }], usageMetadata, modelVersion: model });
    const error = await llmFailure(provider().generate(llmRequest(model), live()));
    expect([error.type, error.message, error.usage]).toEqual(['max_tokens', 'model returned no text (finishReason MAX_TOKENS)', usage]);
  });

  it('streams past chunks that carry no candidate or no text, and keeps the last usage', async () => {
    reply = (res) =>
      sse(res, [
        { candidates: [{ content: { role: 'model', parts: [{ text: 'A' }] } }], modelVersion: model, responseId: 'r1' },
        { usageMetadata: { promptTokenCount: 10, totalTokenCount: 10 } },
        { candidates: [] },
        { candidates: [{ index: 0 }] },
        { candidates: [{ content: { role: 'model' } }] },
        { candidates: [{ content: { role: 'model', parts: [{ thought: true }, { text: 'B' }] }, finishReason: 'STOP' }], usageMetadata },
      ]);
    const pieces: string[] = [];
    const response = await provider().stream(llmRequest(model, true), live(), ({ text }) => pieces.push(text));
    expect(pieces).toEqual(['A', '', '', '', '', 'B']);
    expect(response).toEqual({ text: 'AB', finishReason: 'STOP', usage, responseModel: model, responseId: 'r1' });
  });

  it('fails a stream that ends without a chunk as malformed', async () => {
    reply = (res) => sse(res, []);
    const error = await llmFailure(provider().stream(llmRequest(model, true), live(), () => undefined));
    expect([error.type, error.message]).toEqual(['malformed', 'stream ended without a chunk']);
  });

  it('fails a stream whose first chunk is an error as stream_error, with nothing billed', async () => {
    reply = (res) => sse(res, [{ error: { code: 500, status: 'INTERNAL', message: 'boom' } }]);
    const error = await llmFailure(provider().stream(llmRequest(model, true), live(), () => undefined));
    expect([error.type, error.message, error.upstreamStatus, error.usage, error.responseModel]).toEqual([
      'stream_error',
      'stream failed after 0 characters: boom',
      500,
      { input: 0, cached: 0, output: 0, reasoning: 0, total: 0 },
      undefined,
    ]);
    reply = (res) => sse(res, [{ error: { code: 503, status: 'UNAVAILABLE' } }]);
    expect((await llmFailure(provider().stream(llmRequest(model, true), live(), () => undefined))).message).toBe('stream failed after 0 characters: UNAVAILABLE');
  });

  it('fails a stream whose connection drops as stream_error', async () => {
    let open: ServerResponse | undefined;
    reply = (res) => {
      open = res;
      sse(res, [{ candidates: [{ content: { role: 'model', parts: [{ text: 'A' }] } }] }], { keepOpen: true });
    };
    // The connection is lost once the first chunk reached the caller.
    const error = await llmFailure(provider().stream(llmRequest(model, true), live(), () => open?.socket?.destroy()));
    expect([error.type, error.message, error.retryable]).toEqual(['stream_error', 'model stream failed', false]);
    expect(error.cause).toBeInstanceOf(Error);
  });
});

describe('Gemini provider: 429 details', () => {
  const quotaFailure = (quotaId: string) => ({ '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaId }] });
  const retryInfo = (retryDelay: unknown) => ({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay });
  const tooMany = (details?: object[]) => (res: ServerResponse) =>
    sendJson(res, 429, { error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'quota', ...(details ? { details } : {}) } });

  it('finds the quota and the delay in any order', async () => {
    reply = tooMany([retryInfo('2s'), quotaFailure('GenerateRequestsPerDayPerProjectPerModel')]);
    const error = await llmFailure(provider().generate(llmRequest(model), live()));
    expect([error.retryable, error.retryAfterMs, error.message]).toEqual([false, 2000, 'model rate limit (429), daily quota exhausted']);
  });

  it('retries a 429 with no details, or a delay that is not a duration, without a wait of its own', async () => {
    for (const details of [undefined, [quotaFailure('PerMinute')], [retryInfo(5)], [retryInfo('soon')]]) {
      reply = tooMany(details);
      const error = await llmFailure(provider().generate(llmRequest(model), live()));
      expect([error.type, error.retryable, error.retryAfterMs, error.upstreamStatus]).toEqual(['rate_limited', true, undefined, 429]);
    }
  });
});
