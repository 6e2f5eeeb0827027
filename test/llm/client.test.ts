import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createLlmClient } from '../../src/llm/client.js';
import { createGeminiProvider } from '../../src/llm/providers/gemini.js';
import { createOfflineProvider } from '../../src/llm/providers/offline.js';
import type { LlmCallRecord } from '../../src/llm/types.js';
import { startTelemetry, type StartedTelemetry } from '../../src/telemetry/index.js';
import { startGeminiFake, type GeminiFake } from '../fakes/gemini.js';
import { llmRequest as request } from '../helpers/llm-request.js';

let gemini: GeminiFake;
let telemetry: StartedTelemetry;
const logLines: Array<Record<string, unknown>> = [];


beforeAll(async () => {
  gemini = await startGeminiFake({ modelVersion: 'gemini-2.5-flash' });
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  telemetry = startTelemetry(loadConfig({}), { logger: pino({ level: 'info' }, sink) });
});
afterAll(async () => {
  await telemetry.shutdown(2000);
  await gemini.close();
});

const client = (env: Record<string, string> = { LLM_MAX_RETRIES: '0' }, stopSignal?: AbortSignal) =>
  createLlmClient({
    provider: createGeminiProvider({ apiKey: 'test-key', baseUrl: gemini.url }),
    providerName: 'gemini',
    telemetry,
    settings: loadConfig(env).llm,
    stopSignal,
  });

describe('instrumented LLM client', () => {
  it('reads usage from a streamed response once, from the last chunk, and prices it by modelVersion', async () => {
    const result = await client().generate(request('gemini-2.5-flash', true));
    expect(result.usage).toEqual({ input: 1000, cached: 200, output: 300, reasoning: 100, total: 1600 });
    expect(result.cost.costUsd).toBe(0.001306);
    expect(result.text.length).toBeGreaterThan(0);
    expect(gemini.calls.at(-1)?.action).toBe('streamGenerateContent');
  });

  it('reports an unknown model as unknown cost: null, counted, and warned about', async () => {
    gemini.enqueue({ kind: 'ok', modelVersion: 'gemini-9-experimental' });
    const result = await client().generate(request('gemini-9-experimental'));
    expect(result.cost.costUsd).toBeNull();
    const metrics = await telemetry.metrics.registry.metrics();
    expect(metrics).toMatch(/llm_unpriced_calls_total\{model="gemini-9-experimental"\} 1/);
    expect((await telemetry.metrics.registry.metrics()).split('\n').filter((line) => line.startsWith('llm_cost_total')).join('\n')).not.toContain('gemini-9-experimental');
    const warning = logLines.find((line) => line.msg === 'llm cost unknown: model not in price table');
    expect(warning).toMatchObject({ model: 'gemini-9-experimental' });
    const callLine = logLines.findLast((line) => line.event === 'llm_call');
    expect(callLine).toMatchObject({ cost_usd: null, status: 'success', prompt: { name: 'research-answer', version: 2 } });
  });

  it('records a failed call once, as an error with its type, and rethrows a typed error', async () => {
    gemini.enqueue({ kind: 'error', status: 400 });
    await expect(client().generate(request('gemini-2.5-flash'))).rejects.toMatchObject({ type: 'client_error', httpStatus: 502 });
    const errors = await telemetry.metrics.registry.metrics();
    expect(errors).toMatch(/llm_errors_total\{model="gemini-2.5-flash",error_type="client_error"\} 1/);
    expect(logLines.findLast((line) => line.event === 'llm_call')).toMatchObject({ status: 'error', error_type: 'client_error' });
  });

  it('stops retrying when LLM_DEADLINE_MS is used up, and fails the call as a timeout', async () => {
    // Its own fake: an attempt cut at the deadline may still reach the server later, and an unused scripted
    // hang would otherwise be left for the next test.
    const hanging = await startGeminiFake({ modelVersion: 'gemini-2.5-flash' });
    try {
      // Two hangs: a third attempt would get the fake's default answer and the call would succeed.
      hanging.enqueue({ kind: 'hang' }, { kind: 'hang' });
      const failure = createLlmClient({
        provider: createGeminiProvider({ apiKey: 'test-key', baseUrl: hanging.url }),
        providerName: 'gemini',
        telemetry,
        settings: loadConfig({ LLM_TIMEOUT_MS: '400', LLM_DEADLINE_MS: '600', LLM_MAX_RETRIES: '3', LLM_RETRY_BASE_MS: '1' }).llm,
      }).generate(request('gemini-2.5-flash'));
      await expect(failure).rejects.toMatchObject({ type: 'timeout', httpStatus: 504, message: expect.stringContaining('600 ms deadline') });
      // The first attempt times out at 400 ms and the second is cut at 600 ms; on a starved machine the second
      // may never start. What the deadline guarantees is that the third attempt, which would succeed, never begins.
      expect(hanging.calls.length).toBeGreaterThanOrEqual(1);
      expect(hanging.calls.length).toBeLessThanOrEqual(2);
    } finally {
      await hanging.close();
    }
  });

  it('fails a call in flight as shutting_down (503) when the stop signal fires', async () => {
    gemini.enqueue({ kind: 'hang' });
    const callsBefore = gemini.calls.length;
    const stop = new AbortController();
    const call = client({ LLM_TIMEOUT_MS: '60000', LLM_DEADLINE_MS: '60000' }, stop.signal).generate(request('gemini-2.5-flash'));
    await expect.poll(() => gemini.calls.length).toBe(callsBefore + 1);
    stop.abort();
    await expect(call).rejects.toMatchObject({ type: 'shutting_down', httpStatus: 503 });
  });
});

describe('the client and its telemetry port', () => {
  const recordingPort = (finish: (record: LlmCallRecord) => void) => ({
    recordBreaker: vi.fn(),
    startLlmCall: vi.fn(() => ({
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      runInContext: <T>(work: () => T) => work(),
      attemptFailed: vi.fn(),
      finish: vi.fn(finish),
    })),
  });

  it('describes a call once, after the model answered: a port that throws from finish causes no retry and no second description', async () => {
    const provider = createOfflineProvider();
    const generate = vi.spyOn(provider, 'generate');
    const port = recordingPort(() => {
      throw new Error('sink bug');
    });
    const llm = createLlmClient({ provider, providerName: 'offline', telemetry: port, settings: loadConfig({ LLM_MAX_RETRIES: '2' }).llm });
    await expect(llm.generate(request('offline-extractive'))).rejects.toThrow('sink bug');
    const call = port.startLlmCall.mock.results[0]?.value as { finish: ReturnType<typeof vi.fn> };
    expect(generate).toHaveBeenCalledTimes(1);
    expect(call.finish).toHaveBeenCalledTimes(1);
    expect(call.finish.mock.calls[0]?.[0]).toMatchObject({ status: 'success', attempts: 1 });
  });
});
