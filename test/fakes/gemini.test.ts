import {
  GoogleGenerativeAI,
  GoogleGenerativeAIAbortError,
  GoogleGenerativeAIError,
  GoogleGenerativeAIFetchError,
  type EnhancedGenerateContentResponse,
} from '@google/generative-ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_GEMINI_TEXT, startGeminiFake, type GeminiFake } from './gemini.js';

// The SDK never clears its timeout timer, so keep it short or it outlives the test.
const SDK_TIMEOUT_MS = 1000;

let fake: GeminiFake;

beforeAll(async () => {
  fake = await startGeminiFake();
});
afterAll(() => fake.close());
beforeEach(async () => {
  fake.reset();
  await fake.setMode('ok');
});

function model(options: { apiKey?: string; timeout?: number } = {}) {
  return new GoogleGenerativeAI(options.apiKey ?? 'test-key').getGenerativeModel(
    { model: 'gemini-2.5-flash', systemInstruction: 'be brief', generationConfig: { temperature: 0.2, maxOutputTokens: 64 } },
    { baseUrl: fake.url, timeout: options.timeout ?? SDK_TIMEOUT_MS },
  );
}

// modelVersion/responseId are on the wire but missing from the 0.24.1 types.
type WireResponse = EnhancedGenerateContentResponse & { modelVersion?: string; responseId?: string; error?: { code: number } };

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected the call to throw'),
    (error: unknown) => error,
  );
}

describe('Gemini fake with @google/generative-ai', () => {
  it('answers generateContent with text, usage, modelVersion and responseId, and records the request', async () => {
    const result = await model().generateContent('What is RAG?');
    const response = result.response as WireResponse;

    expect(response.text()).toBe(DEFAULT_GEMINI_TEXT);
    expect(response.candidates?.[0]?.finishReason).toBe('STOP');
    expect(response.usageMetadata).toEqual({
      promptTokenCount: 1200,
      cachedContentTokenCount: 200,
      candidatesTokenCount: 300,
      thoughtsTokenCount: 100,
      totalTokenCount: 1600,
    });
    expect(response.modelVersion).toBe('gemini-2.5-flash');
    expect(response.responseId).toMatch(/^[\w-]{22}$/);

    const [call] = fake.calls;
    expect(call).toMatchObject({ model: 'gemini-2.5-flash', action: 'generateContent' });
    expect(call?.body.contents).toEqual([{ role: 'user', parts: [{ text: 'What is RAG?' }] }]);
    expect(call?.body.generationConfig).toEqual({ temperature: 0.2, maxOutputTokens: 64 });
    expect(call?.body.systemInstruction).toEqual({ role: 'system', parts: [{ text: 'be brief' }] });
    expect(fake.requests[0]?.headers['x-goog-api-client']).toMatch(/^genai-js\//);
  });

  it('streams SSE chunks with prompt-only usage first and full usage on the last chunk', async () => {
    const result = await model().generateContentStream('What is RAG?');
    const chunks: WireResponse[] = [];
    for await (const chunk of result.stream) chunks.push(chunk as WireResponse);
    const aggregate = await result.response;

    expect(chunks.length).toBeGreaterThan(1);
    expect(new Set(chunks.map((c) => c.responseId)).size).toBe(1);
    expect(chunks.every((c) => c.modelVersion === 'gemini-2.5-flash')).toBe(true);
    expect(chunks[0]?.usageMetadata).toEqual({ promptTokenCount: 1200, totalTokenCount: 1200 });
    const last = chunks.at(-1);
    expect(last?.candidates?.[0]?.finishReason).toBe('STOP');
    expect(last?.usageMetadata?.totalTokenCount).toBe(1600);
    expect(aggregate.text()).toBe(DEFAULT_GEMINI_TEXT);
    expect(fake.requests[0]?.query.get('alt')).toBe('sse');
  });

  it('applies scripted ok overrides once, then returns to the defaults', async () => {
    fake.enqueue({ kind: 'ok', text: 'short', usage: { promptTokenCount: 10, candidatesTokenCount: 2 }, modelVersion: 'gemini-3.5-flash' });
    const first = (await model().generateContent('hi')).response as WireResponse;
    const second = (await model().generateContent('hi')).response as WireResponse;

    expect(first.text()).toBe('short');
    expect(first.usageMetadata).toEqual({ promptTokenCount: 10, candidatesTokenCount: 2, totalTokenCount: 12 });
    expect(first.modelVersion).toBe('gemini-3.5-flash');
    expect(second.text()).toBe(DEFAULT_GEMINI_TEXT);
  });

  it('counts tokens', async () => {
    const { totalTokens } = await model().countTokens('twelve chars');
    expect(totalTokens).toBeGreaterThan(0);
    expect(fake.calls[0]?.action).toBe('countTokens');
  });

  it('rejects a wrong API key with 400 API_KEY_INVALID', async () => {
    const error = await caught(model({ apiKey: 'wrong' }).generateContent('hi'));
    expect(error).toBeInstanceOf(GoogleGenerativeAIFetchError);
    expect((error as GoogleGenerativeAIFetchError).status).toBe(400);
    expect((error as GoogleGenerativeAIFetchError).errorDetails).toEqual([
      expect.objectContaining({ reason: 'API_KEY_INVALID' }),
    ]);
    expect(fake.calls).toHaveLength(0);
  });

  it('surfaces a scripted 429 with QuotaFailure and RetryInfo, without a Retry-After header', async () => {
    fake.enqueue({ kind: 'error', status: 429, retryDelay: '1.5s', quotaId: 'GenerateRequestsPerDayPerProjectPerModel' });
    const error = (await caught(model().generateContent('hi'))) as GoogleGenerativeAIFetchError;
    expect(error).toBeInstanceOf(GoogleGenerativeAIFetchError);
    expect(error.status).toBe(429);
    expect(error.errorDetails).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1.5s' }),
        expect.objectContaining({
          '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
          violations: [expect.objectContaining({ quotaId: 'GenerateRequestsPerDayPerProjectPerModel' })],
        }),
      ]),
    );

    fake.enqueue({ kind: 'error', status: 429 });
    const raw = await fetch(`${fake.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': 'test-key', 'content-type': 'application/json' },
      body: '{"contents":[]}',
    });
    expect(raw.status).toBe(429);
    expect(raw.headers.get('retry-after')).toBeNull();
  });

  it('maps other scripted errors to their status codes; an HTML 500 has no details', async () => {
    fake.enqueue({ kind: 'error', status: 503 }, { kind: 'error', status: 404 }, { kind: 'error', status: 500, html: true });
    const statuses: Array<[number, unknown]> = [];
    for (let i = 0; i < 3; i++) {
      const error = (await caught(model().generateContent('hi'))) as GoogleGenerativeAIFetchError;
      statuses.push([error.status ?? 0, error.errorDetails]);
    }
    expect(statuses).toEqual([
      [503, undefined],
      [404, undefined],
      [500, undefined],
    ]);
  });

  it('reports a blocked prompt and safety/max-token finishes the way the real API does', async () => {
    fake.enqueue(
      { kind: 'blocked', reason: 'SAFETY' },
      { kind: 'finish', finishReason: 'SAFETY' },
      { kind: 'finish', finishReason: 'MAX_TOKENS', text: '' },
    );
    const blocked = (await model().generateContent('hi')).response;
    expect(blocked.candidates).toBeUndefined();
    expect(blocked.promptFeedback?.blockReason).toBe('SAFETY');
    expect(() => blocked.text()).toThrow(/blocked/i);

    const unsafe = (await model().generateContent('hi')).response;
    expect(() => unsafe.text()).toThrow(/SAFETY/);

    const truncated = (await model().generateContent('hi')).response;
    expect(truncated.candidates?.[0]?.finishReason).toBe('MAX_TOKENS');
    expect(truncated.candidates?.[0]?.content.parts).toBeUndefined();
    expect(truncated.text()).toBe('');
  });

  it('sends malformed bodies that the SDK fails to parse, unary and streaming', async () => {
    fake.enqueue({ kind: 'malformed' }, { kind: 'malformed' });
    expect(await caught(model().generateContent('hi'))).toBeInstanceOf(Error);

    const result = await model().generateContentStream('hi');
    const responseError = caught(result.response);
    expect(await caught((async () => { for await (const _ of result.stream); })())).toBeInstanceOf(GoogleGenerativeAIError);
    expect(await responseError).toBeInstanceOf(GoogleGenerativeAIError);
  });

  it('delivers a mid-stream error as a candidate-less chunk after a good one', async () => {
    fake.enqueue({ kind: 'midstream-error' });
    const result = await model().generateContentStream('hi');
    const chunks: WireResponse[] = [];
    for await (const chunk of result.stream) chunks.push(chunk as WireResponse);
    await result.response;

    expect(chunks).toHaveLength(2);
    expect(chunks[0]?.candidates?.[0]?.content.parts?.[0]?.text).toBeTruthy();
    expect(chunks[1]?.error?.code).toBe(503);
  });

  it('lets a scripted hang run into the SDK timeout', async () => {
    fake.enqueue({ kind: 'hang' });
    expect(await caught(model({ timeout: 200 }).generateContent('hi'))).toBeInstanceOf(GoogleGenerativeAIAbortError);
  });

  it('switches fault modes: fail, hang, down, and back to ok on the same URL', async () => {
    await fake.setMode('fail');
    const failed = (await caught(model().generateContent('hi'))) as GoogleGenerativeAIFetchError;
    expect(failed.status).toBe(500);
    expect(failed.message).toContain('An internal error has occurred');

    await fake.setMode('hang');
    expect(await caught(model({ timeout: 200 }).generateContent('hi'))).toBeInstanceOf(GoogleGenerativeAIAbortError);

    await fake.setMode('down');
    const refused = (await caught(model().generateContent('hi'))) as Error;
    expect(refused).toBeInstanceOf(GoogleGenerativeAIError);
    expect(refused.message).toContain('fetch failed');

    await fake.setMode('ok');
    expect((await model().generateContent('hi')).response.text()).toBe(DEFAULT_GEMINI_TEXT);
  });

  it('honours latencyMs and custom defaults', async () => {
    const slow = await startGeminiFake({ latencyMs: 80, text: 'custom [1]', modelVersion: 'gemini-2.5-flash-001', apiKey: 'k2' });
    try {
      const started = performance.now();
      const response = (
        await new GoogleGenerativeAI('k2')
          .getGenerativeModel({ model: 'gemini-2.5-flash' }, { baseUrl: slow.url, timeout: SDK_TIMEOUT_MS })
          .generateContent('hi')
      ).response as WireResponse;
      expect(performance.now() - started).toBeGreaterThanOrEqual(75);
      expect(response.text()).toBe('custom [1]');
      expect(response.modelVersion).toBe('gemini-2.5-flash-001');
    } finally {
      await slow.close();
    }
  });

  it('close() finishes promptly while a request hangs', async () => {
    const hanging = await startGeminiFake();
    await hanging.setMode('hang');
    const pending = new GoogleGenerativeAI('test-key')
      .getGenerativeModel({ model: 'gemini-2.5-flash' }, { baseUrl: hanging.url, timeout: SDK_TIMEOUT_MS })
      .generateContent('hi')
      .catch((error: unknown) => error);
    await expect.poll(() => hanging.requests.length).toBe(1);
    await hanging.close();
    // The hanging request is cut off by close(), long before the SDK's own timeout would end it.
    expect(await pending).toBeInstanceOf(Error);
    expect(String(await pending)).not.toMatch(/abort|timeout/i);
  });
});
