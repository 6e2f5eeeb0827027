import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createLlmClient } from '../../src/llm/client.js';
import { LlmCallCancelled, LlmError } from '../../src/llm/errors.js';
import { createOfflineProvider } from '../../src/llm/providers/offline.js';
import type { LlmTelemetryPort } from '../../src/llm/telemetry-port.js';
import type { LlmCallRecord, LlmProvider, StreamChunk } from '../../src/llm/types.js';
import { llmRequest } from '../helpers/llm-request.js';

const records: LlmCallRecord[] = [];

/** The client's telemetry port, keeping each call's one description. */
const recordingPort: LlmTelemetryPort = {
  startLlmCall: () => ({
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    runInContext: (work) => work(),
    attemptFailed: () => undefined,
    finish: (record) => void records.push(record),
  }),
  recordBreaker: () => undefined,
};

const usage = { input: 10, cached: 0, output: 5, reasoning: 0, total: 15 };

/** A provider scripted per attempt: each attempt streams its chunks, then answers or throws. */
function scriptedProvider(attempts: Array<{ chunks: string[]; fail?: LlmError }>): LlmProvider & { calls: number } {
  const provider = {
    system: 'scripted',
    calls: 0,
    async generate(): Promise<never> {
      throw new Error('not used');
    },
    async stream(_request: unknown, _signal: AbortSignal, onChunk: (chunk: StreamChunk) => void) {
      const attempt = attempts[provider.calls] as { chunks: string[]; fail?: LlmError };
      provider.calls += 1;
      for (const text of attempt.chunks) onChunk({ text, usage: { ...usage, output: 0, total: 10 } });
      if (attempt.fail) throw attempt.fail;
      return { text: attempt.chunks.join(''), finishReason: 'STOP', usage, responseModel: 'gemini-2.5-flash' };
    },
  };
  return provider;
}

const clientFor = (provider: LlmProvider) =>
  createLlmClient({
    provider,
    providerName: 'gemini',
    telemetry: recordingPort,
    settings: loadConfig({ LLM_MAX_RETRIES: '2', LLM_RETRY_BASE_MS: '1', LLM_RETRY_MAX_DELAY_MS: '2' }).llm,
  });

describe('LLM client streaming', () => {
  it('retries a retryable failure that happened before any text reached the caller', async () => {
    const provider = scriptedProvider([{ chunks: [], fail: new LlmError('server_error', 'down') }, { chunks: ['a', 'b'] }]);
    const deltas: string[] = [];
    const result = await clientFor(provider).generateStream(llmRequest('gemini-2.5-flash'), { onDelta: (text) => deltas.push(text) });
    expect(deltas).toEqual(['a', 'b']);
    expect(result.text).toBe('ab');
    expect(provider.calls).toBe(2);
    expect(records.at(-1)).toMatchObject({ status: 'success', attempts: 2, request: { stream: true } });
    expect(records.at(-1)?.timeToFirstChunkMs).toBeGreaterThanOrEqual(0);
  });

  it('never retries once text reached the caller, so no answer is sent twice', async () => {
    const provider = scriptedProvider([{ chunks: ['a'], fail: new LlmError('server_error', 'dropped') }, { chunks: ['x'] }]);
    const deltas: string[] = [];
    const failure = await clientFor(provider)
      .generateStream(llmRequest('gemini-2.5-flash'), { onDelta: (text) => deltas.push(text) })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(LlmError);
    expect(deltas).toEqual(['a']);
    expect(provider.calls).toBe(1);
    expect(records.at(-1)).toMatchObject({ status: 'error', attempts: 1, error: { type: 'server_error' } });
  });

  it('records a call the caller abandoned once, as cancelled, with the usage reported so far', async () => {
    const leaving = new AbortController();
    const before = records.length;
    const failure = await clientFor(createOfflineProvider({ chunkIntervalMs: 1 }))
      .generateStream({ ...llmRequest('gemini-2.5-flash'), passages: [{ id: 'p', title: 'T', year: 2024, summary: 'One. Two.' }] }, {
        signal: leaving.signal,
        onDelta: () => leaving.abort(),
      })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(LlmCallCancelled);
    expect(records.slice(before)).toHaveLength(1);
    expect(records.at(-1)).toMatchObject({ status: 'cancelled', attempts: 1, usage: { input: 0, output: 0 } });
  });

  it('streams an offline answer in several chunks that add up to the unary answer', async () => {
    const provider = createOfflineProvider({ chunkIntervalMs: 0 });
    const request = { ...llmRequest('offline'), passages: [1, 2].map((n) => ({ id: `p${n}`, title: `T${n}`, year: 2024, summary: `Finding ${n}. More.` })) };
    const chunks: StreamChunk[] = [];
    const streamed = await provider.stream(request, new AbortController().signal, (chunk) => chunks.push(chunk));
    const unary = await provider.generate(request, new AbortController().signal);
    expect(chunks.length).toBe(4);
    expect(chunks.map(({ text }) => text).join('')).toBe(unary.text);
    expect(streamed).toEqual(unary);
    // Usage only with the last chunk, as Gemini reports it complete only at the end.
    expect(chunks.map(({ usage: reported }) => reported)).toEqual([undefined, undefined, undefined, unary.usage]);
  });
});
