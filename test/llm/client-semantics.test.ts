import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import type { BudgetGate, Spender } from '../../src/llm/budget/budget.js';
import { worstCaseCostUsd } from '../../src/llm/budget/estimate.js';
import { createResponseCache } from '../../src/llm/cache/response-cache.js';
import { createMemoryCacheStore } from '../../src/llm/cache/store.js';
import { createLlmClient } from '../../src/llm/client.js';
import type { CostControls } from '../../src/llm/cost-controls.js';
import { LlmCallCancelled, LlmError } from '../../src/llm/errors.js';
import type { BreakerState, LlmTelemetryPort } from '../../src/llm/telemetry-port.js';
import type { LlmCallRecord, LlmProvider, LlmRequest, ProviderResponse, StreamChunk } from '../../src/llm/types.js';
import { llmRequest } from '../helpers/llm-request.js';

// The instrumented client's failure semantics with a scripted provider and a recording telemetry port, one
// client per test: retries, the breaker, deadlines, shutdown, what a failed call bills, and what the one
// call description says. The RetryInfo wait is read from the sleep the client asks for, not from a clock.
const sleeps = vi.hoisted(() => [] as number[]);
const sleepSignals = vi.hoisted(() => [] as Array<AbortSignal | undefined>);
vi.mock('node:timers/promises', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:timers/promises')>();
  return {
    ...original,
    setTimeout: async (ms: number, _value?: unknown, options?: { signal?: AbortSignal }) => {
      sleeps.push(ms);
      sleepSignals.push(options?.signal);
    },
  };
});

const model = 'gemini-2.5-flash';
const usage = { input: 1000, cached: 200, output: 300, reasoning: 100, total: 1600 };
const traceId = '0af7651916cd43dd8448eb211c80319c';
const spanId = 'b7ad6b7169203331';

/** What the client told its telemetry port. */
function recordingPort() {
  const seen = {
    records: [] as LlmCallRecord[],
    attemptsFailed: [] as Array<[string, number]>,
    breaker: [] as Array<[string, BreakerState]>,
    started: [] as Array<{ request: LlmRequest; system: string; serverAddress?: { host: string; port: number } }>,
  };
  const port: LlmTelemetryPort = {
    startLlmCall: (request, system, serverAddress) => {
      seen.started.push({ request, system, serverAddress });
      return {
        traceId,
        spanId,
        runInContext: (work) => work(),
        attemptFailed: (error, attempt) => void seen.attemptsFailed.push([error.type, attempt]),
        finish: (record) => void seen.records.push(record),
      };
    },
    recordBreaker: (breakerModel, state) => void seen.breaker.push([breakerModel, state]),
  };
  return { port, seen };
}

type Step = ProviderResponse | LlmError | Error | 'wait-for-abort' | ((signal: AbortSignal, onChunk: (chunk: StreamChunk) => void) => Promise<ProviderResponse>);

const answer = (overrides: Partial<ProviderResponse> = {}): ProviderResponse => ({
  text: 'RAG retrieves, then generates.',
  finishReason: 'STOP',
  usage,
  responseModel: model,
  responseId: 'resp-1',
  ...overrides,
});

const untilAborted = (signal: AbortSignal) =>
  new Promise((resolve) => (signal.aborted ? resolve(undefined) : signal.addEventListener('abort', resolve, { once: true })));

/** A provider that plays one step per attempt (the last step repeats) and remembers each attempt's signal. */
function scriptedProvider(...steps: Step[]) {
  const signals: AbortSignal[] = [];
  const play = async (signal: AbortSignal, onChunk: (chunk: StreamChunk) => void = () => undefined): Promise<ProviderResponse> => {
    signals.push(signal);
    const step = steps[Math.min(signals.length, steps.length) - 1] as Step;
    if (step === 'wait-for-abort') {
      await untilAborted(signal);
      throw new LlmError('timeout', 'model call timed out');
    }
    if (typeof step === 'function') return step(signal, onChunk);
    if (step instanceof Error) throw step;
    return step;
  };
  const provider: LlmProvider = {
    system: 'gcp.gemini',
    serverAddress: { host: 'gemini.test', port: 443 },
    generate: (_request, signal) => play(signal),
    stream: (_request, signal, onChunk) => play(signal, onChunk),
  };
  return { provider, signals };
}

const settings = (overrides: Partial<ReturnType<typeof loadConfig>['llm']> = {}) => ({
  ...loadConfig({}).llm,
  maxRetries: 0,
  retryBaseMs: 1,
  retryMaxDelayMs: 2,
  circuitFailures: 1000,
  ...overrides,
});

function clientWith(provider: LlmProvider, overrides: Partial<ReturnType<typeof loadConfig>['llm']> = {}, stopSignal?: AbortSignal, costControls?: CostControls) {
  const { port, seen } = recordingPort();
  const client = createLlmClient({ provider, providerName: 'gemini', telemetry: port, settings: settings(overrides), stopSignal, costControls });
  return { client, seen };
}

/** A budget that admits every call and records what the client does with each reservation. */
function recordingBudget() {
  const steps: unknown[][] = [];
  const budget = {
    enabled: true,
    limits: { serviceUsdPerDay: 10 },
    reserve: async (spender: Spender, worstCaseUsd: number) => {
      steps.push(['reserve', spender, worstCaseUsd]);
      return { settle: async (usd: number) => void steps.push(['settle', usd]), release: async () => void steps.push(['release']) };
    },
  } as unknown as BudgetGate;
  return { budget, steps };
}

const inProcessCache = () => createResponseCache(createMemoryCacheStore(10, 60), { ttlSeconds: 60, lockMs: 1000, lockWaitMs: 1000 });

/** The error a call fails with (the test fails if it succeeds). */
const failureOf = (call: Promise<unknown>) =>
  call.then(
    () => {
      throw new Error('the call succeeded');
    },
    (error: unknown) => error as LlmError,
  );

describe('a successful call', () => {
  it('returns the answer priced by the serving model, and describes the call once, in full', async () => {
    const { provider } = scriptedProvider(answer());
    const { client, seen } = clientWith(provider);
    const before = Date.now();
    const result = await client.generate(llmRequest('gemini-flash-latest'));
    const after = Date.now();
    const cost = {
      pricedModel: model,
      costUsd: 0.001306,
      details: { input: 0.0003, input_cached_tokens: 0.000006, output: 0.00075, output_reasoning_tokens: 0.00025, total: 0.001306 },
    };
    expect(result).toEqual({
      text: 'RAG retrieves, then generates.',
      model,
      usage,
      billedUsage: usage,
      cost,
      cache: { hit: false },
      finishReason: 'STOP',
      responseModel: model,
      latencyMs: expect.any(Number),
      traceId,
    });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(seen.started).toEqual([{ request: llmRequest('gemini-flash-latest'), system: 'gcp.gemini', serverAddress: { host: 'gemini.test', port: 443 } }]);
    expect(seen.records).toEqual([
      {
        status: 'success',
        response: answer(),
        usage,
        cost,
        request: llmRequest('gemini-flash-latest'),
        provider: 'gemini',
        startedAt: expect.any(Number),
        latencyMs: result.latencyMs,
        attempts: 1,
        traceId,
        spanId,
      },
    ]);
    expect(seen.records[0]!.startedAt).toBeGreaterThanOrEqual(before);
    expect(seen.records[0]!.startedAt).toBeLessThanOrEqual(after);
    expect(seen.attemptsFailed).toEqual([]);
    expect(seen.breaker).toEqual([['gemini-flash-latest', 'closed']]);
  });

  it('measures the latency from the start of the call to its end, in milliseconds', async () => {
    let now = 5_000;
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => now);
    try {
      const { provider } = scriptedProvider(async () => {
        now = 5_250;
        return answer();
      });
      const { client, seen } = clientWith(provider);
      expect((await client.generate(llmRequest(model))).latencyMs).toBe(250);
      expect(seen.records[0]?.latencyMs).toBe(250);
    } finally {
      clock.mockRestore();
    }
  });

  it('names the serving model when it has no price, and the requested one when the answer names none', async () => {
    const { provider } = scriptedProvider(answer({ responseModel: 'gemini-9-experimental' }), answer({ responseModel: undefined }));
    const { client } = clientWith(provider);
    const unpriced = await client.generate(llmRequest('gemini-9'));
    expect([unpriced.model, unpriced.cost]).toEqual(['gemini-9-experimental', { pricedModel: undefined, costUsd: null, details: null }]);
    expect((await client.generate(llmRequest('gemini-9'))).model).toBe('gemini-9');
  });
});

describe('the call description', () => {
  it('is made once, after the model answered: a port that throws from finish causes no retry and no second one', async () => {
    const { provider, signals } = scriptedProvider(answer());
    let finished = 0;
    const port: LlmTelemetryPort = {
      ...recordingPort().port,
      startLlmCall: () => ({
        traceId,
        spanId,
        runInContext: (work) => work(),
        attemptFailed: () => undefined,
        finish: () => {
          finished += 1;
          throw new Error('sink bug');
        },
      }),
    };
    const client = createLlmClient({ provider, providerName: 'gemini', telemetry: port, settings: settings({ maxRetries: 2 }) });
    await expect(client.generate(llmRequest(model))).rejects.toThrow('sink bug');
    expect(signals).toHaveLength(1);
    expect(finished).toBe(1);
  });
});

describe('retries', () => {
  it('retries retryable failures, tells the port of each retried attempt with its number, and counts every attempt', async () => {
    const { provider, signals } = scriptedProvider(new LlmError('server_error', 'down'), new LlmError('network', 'reset'), answer());
    const { client, seen } = clientWith(provider, { maxRetries: 2 });
    expect((await client.generate(llmRequest(model))).text).toBe('RAG retrieves, then generates.');
    expect(signals).toHaveLength(3);
    expect(seen.attemptsFailed).toEqual([
      ['server_error', 1],
      ['network', 2],
    ]);
    expect(seen.records.map(({ status, attempts }) => [status, attempts])).toEqual([['success', 3]]);
    // No RetryInfo, so no wait of the client's own (p-retry's backoff is on its own timer).
    expect(sleeps).toEqual([]);
  });

  it('does not report the last attempt as retried, and fails with its error', async () => {
    const { provider, signals } = scriptedProvider(new LlmError('server_error', 'first'), new LlmError('server_error', 'second'), new LlmError('server_error', 'third'));
    const { client, seen } = clientWith(provider, { maxRetries: 2 });
    const error = await failureOf(client.generate(llmRequest(model)));
    expect([error.type, error.message]).toEqual(['server_error', 'third']);
    expect(signals).toHaveLength(3);
    expect(seen.attemptsFailed).toEqual([
      ['server_error', 1],
      ['server_error', 2],
    ]);
    expect(seen.records.map(({ status, attempts, error: recorded }) => [status, attempts, recorded])).toEqual([['error', 3, { type: 'server_error', message: 'third' }]]);
  });

  it('never retries a failure that is not retryable', async () => {
    const { provider, signals } = scriptedProvider(new LlmError('blocked', 'prompt blocked by the model: SAFETY'), answer());
    const { client, seen } = clientWith(provider, { maxRetries: 2 });
    const error = await failureOf(client.generate(llmRequest(model)));
    expect([error.type, error.httpStatus]).toEqual(['blocked', 502]);
    expect(signals).toHaveLength(1);
    expect(seen.attemptsFailed).toEqual([]);
    expect(seen.records[0]).toMatchObject({ status: 'error', attempts: 1, error: { type: 'blocked', message: 'prompt blocked by the model: SAFETY' } });
  });

  it('treats anything else a provider throws as a retryable network failure, keeping its message', async () => {
    const { provider, signals } = scriptedProvider(new Error('socket hang up'), answer());
    const { client, seen } = clientWith(provider, { maxRetries: 1 });
    await client.generate(llmRequest(model));
    expect(signals).toHaveLength(2);
    expect(seen.attemptsFailed).toEqual([['network', 1]]);

    const thrown = scriptedProvider(() => Promise.reject('not an Error'));
    const error = await failureOf(clientWith(thrown.provider).client.generate(llmRequest(model)));
    expect([error.type, error.message, error.httpStatus, error.cause, error.name]).toEqual(['network', 'not an Error', 502, 'not an Error', 'LlmError']);
    const nothing = scriptedProvider(() => Promise.reject(undefined));
    const empty = await failureOf(clientWith(nothing.provider).client.generate(llmRequest(model)));
    expect([empty.type, empty.message]).toEqual(['network', 'undefined']);
  });

  it('waits the RetryInfo delay before retrying a 429, capped at LLM_RETRY_MAX_DELAY_MS', async () => {
    sleeps.length = 0;
    const rateLimited = (retryAfterMs: number) => new LlmError('rate_limited', 'model rate limit (429)', { retryAfterMs, upstreamStatus: 429 });
    const { provider, signals } = scriptedProvider(rateLimited(250), rateLimited(120_000), answer());
    const { client, seen } = clientWith(provider, { maxRetries: 2, retryMaxDelayMs: 400 });
    await client.generate(llmRequest(model));
    expect(signals).toHaveLength(3);
    expect(sleeps).toEqual([250, 400]);
    // The wait ends with the call: it listens to the call's signal (deadline, shutdown, caller).
    expect(sleepSignals.at(-1)).toBeInstanceOf(AbortSignal);
    expect(seen.attemptsFailed).toEqual([
      ['rate_limited', 1],
      ['rate_limited', 2],
    ]);
  });

  it('does not wait after the last attempt, nor for a 429 that will not be retried', async () => {
    sleeps.length = 0;
    const { provider } = scriptedProvider(new LlmError('rate_limited', 'model rate limit (429), daily quota exhausted', { retryable: false, retryAfterMs: 300 }));
    await failureOf(clientWith(provider, { maxRetries: 2, retryMaxDelayMs: 400 }).client.generate(llmRequest(model)));
    const last = scriptedProvider(new LlmError('rate_limited', 'model rate limit (429)', { retryAfterMs: 300 }));
    await failureOf(clientWith(last.provider, { maxRetries: 0, retryMaxDelayMs: 400 }).client.generate(llmRequest(model)));
    expect(sleeps).toEqual([]);
  });

  it('gives each attempt LLM_TIMEOUT_MS: a hung attempt is aborted and retried', async () => {
    const { provider, signals } = scriptedProvider('wait-for-abort', answer());
    const { client, seen } = clientWith(provider, { timeoutMs: 20, deadlineMs: 60_000, maxRetries: 1 });
    expect((await client.generate(llmRequest(model))).text).toBe('RAG retrieves, then generates.');
    expect(signals.map((signal) => signal.aborted)).toEqual([true, false]);
    expect(seen.attemptsFailed).toEqual([['timeout', 1]]);
  });
});

describe('the circuit breaker', () => {
  const serverError = () => new LlmError('server_error', 'model server error (500)', { upstreamStatus: 500 });

  it('opens after LLM_CIRCUIT_FAILURES failed calls, then fails fast as circuit_open without calling the model', async () => {
    const { provider, signals } = scriptedProvider(serverError());
    const { client, seen } = clientWith(provider, { circuitFailures: 2, circuitResetMs: 60_000 });
    for (let call = 0; call < 2; call += 1) expect((await failureOf(client.generate(llmRequest(model)))).type).toBe('server_error');
    const error = await failureOf(client.generate(llmRequest(model)));
    expect([error.type, error.message, error.retryable, error.httpStatus]).toEqual(['circuit_open', 'model circuit breaker is open after repeated failures', false, 503]);
    expect(error.cause).toMatchObject({ code: 'EOPENBREAKER' });
    expect(signals).toHaveLength(2);
    expect(seen.breaker).toEqual([
      [model, 'closed'],
      [model, 'open'],
    ]);
    expect(seen.records.at(-1)).toMatchObject({ status: 'error', attempts: 1, error: { type: 'circuit_open', message: 'model circuit breaker is open after repeated failures' } });
  });

  it('keeps one breaker per model', async () => {
    const { provider } = scriptedProvider(serverError(), serverError(), answer());
    const { client, seen } = clientWith(provider, { circuitFailures: 2, circuitResetMs: 60_000 });
    for (let call = 0; call < 2; call += 1) await failureOf(client.generate(llmRequest(model)));
    expect((await client.generate(llmRequest('gemini-2.5-pro'))).text).toBe('RAG retrieves, then generates.');
    expect(seen.breaker).toEqual([
      [model, 'closed'],
      [model, 'open'],
      ['gemini-2.5-pro', 'closed'],
    ]);
  });

  it('lets one call through after LLM_CIRCUIT_RESET_MS, and closes again when it succeeds', async () => {
    const { provider } = scriptedProvider(serverError(), serverError(), answer());
    const { client, seen } = clientWith(provider, { circuitFailures: 2, circuitResetMs: 30 });
    for (let call = 0; call < 2; call += 1) await failureOf(client.generate(llmRequest(model)));
    await expect.poll(() => seen.breaker.at(-1)).toEqual([model, 'half_open']);
    await client.generate(llmRequest(model));
    expect(seen.breaker).toEqual([
      [model, 'closed'],
      [model, 'open'],
      [model, 'half_open'],
      [model, 'closed'],
    ]);
  });

  it('is never opened by blocked prompts or 4xx answers', async () => {
    const { provider, signals } = scriptedProvider(
      ...Array.from({ length: 3 }, () => new LlmError('blocked', 'prompt blocked by the model: SAFETY')),
      ...Array.from({ length: 3 }, () => new LlmError('client_error', 'model rejected the request (400)', { upstreamStatus: 400 })),
      answer(),
    );
    const { client, seen } = clientWith(provider, { circuitFailures: 2, circuitResetMs: 60_000 });
    for (let call = 0; call < 6; call += 1) await failureOf(client.generate(llmRequest(model)));
    expect((await client.generate(llmRequest(model))).text).toBe('RAG retrieves, then generates.');
    expect(signals).toHaveLength(7);
    expect(seen.breaker).toEqual([[model, 'closed']]);
  });

  it('is never opened by callers who went away', async () => {
    const { provider, signals } = scriptedProvider('wait-for-abort', 'wait-for-abort', 'wait-for-abort', answer());
    const { client, seen } = clientWith(provider, { circuitFailures: 2, circuitResetMs: 60_000, maxRetries: 2 });
    for (let call = 0; call < 3; call += 1) {
      const leaving = new AbortController();
      const pending = failureOf(client.generateStream(llmRequest(model), { signal: leaving.signal, onDelta: () => undefined }));
      await expect.poll(() => signals.length).toBe(call + 1);
      leaving.abort();
      expect(await pending).toBeInstanceOf(LlmCallCancelled);
    }
    expect((await client.generate(llmRequest(model))).text).toBe('RAG retrieves, then generates.');
    expect(seen.breaker).toEqual([[model, 'closed']]);
    // Nobody waits for a retry of a call whose caller left.
    expect(seen.attemptsFailed).toEqual([]);
    expect(seen.records.map(({ attempts }) => attempts)).toEqual([1, 1, 1, 1]);
  });
});

describe('a failed call', () => {
  it('still reports the tokens it was billed, priced by the model that served it (MAX_TOKENS spent on thinking)', async () => {
    const thinking = { input: 1000, cached: 200, output: 0, reasoning: 1024, total: 2224 };
    const { provider } = scriptedProvider(new LlmError('max_tokens', 'model returned no text (finishReason MAX_TOKENS)', { usage: thinking, responseModel: model }));
    const { client, seen } = clientWith(provider);
    const error = await failureOf(client.generate(llmRequest('gemini-flash-latest')));
    expect(error.type).toBe('max_tokens');
    expect(seen.records).toEqual([
      {
        status: 'error',
        usage: thinking,
        // 1000 × 0.30 + 200 × 0.03 + 1024 × 2.50 per 1M tokens (gemini-2.5-flash)
        cost: { pricedModel: model, costUsd: 0.002866, details: { input: 0.0003, input_cached_tokens: 0.000006, output: 0, output_reasoning_tokens: 0.00256, total: 0.002866 } },
        error: { type: 'max_tokens', message: 'model returned no text (finishReason MAX_TOKENS)' },
        request: llmRequest('gemini-flash-latest'),
        provider: 'gemini',
        startedAt: expect.any(Number),
        latencyMs: expect.any(Number),
        attempts: 1,
        traceId,
        spanId,
      },
    ]);
  });

  it('reports no tokens, at no cost under the requested model, when nothing was billed', async () => {
    const { provider } = scriptedProvider(new LlmError('client_error', 'model rejected the request (400)'));
    const { client, seen } = clientWith(provider);
    await failureOf(client.generate(llmRequest(model)));
    expect(seen.records[0]).toMatchObject({
      usage: { input: 0, cached: 0, output: 0, reasoning: 0, total: 0 },
      cost: { pricedModel: model, costUsd: 0, details: { input: 0, input_cached_tokens: 0, output: 0, output_reasoning_tokens: 0, total: 0 } },
    });
  });

  it('fails as a timeout naming LLM_DEADLINE_MS when the deadline ends the call', async () => {
    const { provider, signals } = scriptedProvider('wait-for-abort');
    const { client, seen } = clientWith(provider, { timeoutMs: 60_000, deadlineMs: 30, maxRetries: 3 });
    const error = await failureOf(client.generate(llmRequest(model)));
    expect([error.type, error.message, error.retryable, error.httpStatus]).toEqual(['timeout', 'no model answer within the 30 ms deadline (LLM_DEADLINE_MS)', false, 504]);
    expect(signals).toHaveLength(1);
    expect(seen.records[0]).toMatchObject({ status: 'error', error: { type: 'timeout', message: 'no model answer within the 30 ms deadline (LLM_DEADLINE_MS)' } });
  });

  it('keeps the failure an attempt cut by the deadline reported, unless it was a timeout', async () => {
    const midStream = async (signal: AbortSignal): Promise<never> => {
      await untilAborted(signal);
      throw new LlmError('stream_error', 'stream failed after 12 characters');
    };
    const { provider } = scriptedProvider(midStream);
    const error = await failureOf(clientWith(provider, { timeoutMs: 60_000, deadlineMs: 30 }).client.generate(llmRequest(model)));
    expect([error.type, error.message]).toEqual(['stream_error', 'stream failed after 12 characters']);
    // The same cut, reported as a timeout, becomes the deadline's own timeout.
    const timedOut = scriptedProvider('wait-for-abort');
    const deadline = await failureOf(clientWith(timedOut.provider, { timeoutMs: 60_000, deadlineMs: 30 }).client.generate(llmRequest(model)));
    expect([deadline.type, deadline.message]).toEqual(['timeout', 'no model answer within the 30 ms deadline (LLM_DEADLINE_MS)']);
  });

  it('fails a call in flight as shutting_down when the stop signal fires', async () => {
    const stop = new AbortController();
    const { provider, signals } = scriptedProvider('wait-for-abort');
    const { client, seen } = clientWith(provider, { timeoutMs: 60_000, deadlineMs: 60_000, maxRetries: 2 }, stop.signal);
    const pending = failureOf(client.generate(llmRequest(model)));
    await expect.poll(() => signals.length).toBe(1);
    stop.abort();
    const error = await pending;
    expect([error.type, error.message, error.retryable, error.httpStatus]).toEqual(['shutting_down', 'the server is shutting down; retry the request', false, 503]);
    expect(error.cause).toBeDefined();
    expect(signals).toHaveLength(1);
    expect(seen.records[0]).toMatchObject({ status: 'error', error: { type: 'shutting_down', message: 'the server is shutting down; retry the request' } });
  });

  it('is shutting_down, not cancelled, when the server stops while a streaming caller is still there', async () => {
    const stop = new AbortController();
    const { provider, signals } = scriptedProvider('wait-for-abort');
    const { client, seen } = clientWith(provider, { timeoutMs: 60_000, deadlineMs: 60_000 }, stop.signal);
    const pending = failureOf(client.generateStream(llmRequest(model), { signal: new AbortController().signal, onDelta: () => undefined }));
    await expect.poll(() => signals.length).toBe(1);
    stop.abort();
    expect((await pending).type).toBe('shutting_down');
    expect(seen.records[0]?.status).toBe('error');
  });

  it('is cancelled, with the caller’s trace id and nothing billed, when a streaming caller leaves before any chunk', async () => {
    const { provider } = scriptedProvider('wait-for-abort');
    const { client, seen } = clientWith(provider, { timeoutMs: 60_000, deadlineMs: 60_000 });
    const leaving = new AbortController();
    const pending = failureOf(client.generateStream(llmRequest(model), { signal: leaving.signal, onDelta: () => undefined }));
    await expect.poll(() => seen.started.length).toBe(1);
    leaving.abort();
    const error = (await pending) as unknown as LlmCallCancelled;
    expect(error).toBeInstanceOf(LlmCallCancelled);
    expect([error.traceId, error.name, error.message]).toEqual([traceId, 'LlmCallCancelled', 'model call cancelled: the caller went away']);
    expect(seen.records).toEqual([
      expect.objectContaining({
        status: 'cancelled',
        usage: { input: 0, cached: 0, output: 0, reasoning: 0, total: 0 },
        cost: { pricedModel: model, costUsd: 0, details: { input: 0, input_cached_tokens: 0, output: 0, output_reasoning_tokens: 0, total: 0 } },
        request: { ...llmRequest(model), stream: true },
        attempts: 1,
      }),
    ]);
    expect(seen.records[0]).not.toHaveProperty('error');
    expect(seen.records[0]).not.toHaveProperty('timeToFirstChunkMs');
  });

  it('is cancelled with what the model had reported when a streaming caller leaves mid-answer, priced by the serving model', async () => {
    const partial = { input: 1000, cached: 200, output: 0, reasoning: 0, total: 1200 };
    const twoChunksThenWait = async (signal: AbortSignal, onChunk: (chunk: StreamChunk) => void): Promise<never> => {
      onChunk({ text: '', usage: partial, responseModel: model });
      onChunk({ text: 'RAG ' });
      await untilAborted(signal);
      throw new LlmError('timeout', 'model call timed out');
    };
    const { provider } = scriptedProvider(twoChunksThenWait);
    const { client, seen } = clientWith(provider, { timeoutMs: 60_000, deadlineMs: 60_000, maxRetries: 2 });
    const leaving = new AbortController();
    const deltas: string[] = [];
    const error = await failureOf(
      client.generateStream(llmRequest('gemini-flash-latest'), {
        signal: leaving.signal,
        onDelta: (text) => {
          deltas.push(text);
          leaving.abort();
        },
      }),
    );
    expect(error).toBeInstanceOf(LlmCallCancelled);
    expect(deltas).toEqual(['RAG ']);
    const [record] = seen.records;
    expect(record).toMatchObject({
      status: 'cancelled',
      usage: partial,
      cost: { pricedModel: model, costUsd: 0.000306, details: { input: 0.0003, input_cached_tokens: 0.000006, output: 0, output_reasoning_tokens: 0, total: 0.000306 } },
      attempts: 1,
    });
    expect(record!.timeToFirstChunkMs).toBeGreaterThanOrEqual(0);
    expect(record!.timeToFirstChunkMs).toBeLessThanOrEqual(record!.latencyMs);
  });
});

describe('the cost controls around a call', () => {
  it('settles a successful call’s reservation at its cost, and an unpriced one’s at 0', async () => {
    const { provider } = scriptedProvider(answer(), answer({ responseModel: 'gemini-9-experimental' }));
    const { budget, steps } = recordingBudget();
    const { client } = clientWith(provider, {}, undefined, { budget });
    await client.generate(llmRequest(model));
    await client.generate(llmRequest('gemini-9'), { spender: { callerId: 'key:ops' } });
    expect(steps).toEqual([
      ['reserve', { callerId: 'internal' }, worstCaseCostUsd(llmRequest(model))],
      ['settle', 0.001306],
      ['reserve', { callerId: 'key:ops' }, 0],
      ['settle', 0],
    ]);
  });

  it('releases the reservation of a failed call that billed nothing, and settles a billed failure at what it cost', async () => {
    const thinking = { input: 1000, cached: 200, output: 0, reasoning: 1024, total: 2224 };
    const { provider } = scriptedProvider(
      new LlmError('client_error', 'model rejected the request (400)'),
      new LlmError('max_tokens', 'model returned no text (finishReason MAX_TOKENS)', { usage: thinking, responseModel: model }),
    );
    const { budget, steps } = recordingBudget();
    const { client } = clientWith(provider, {}, undefined, { budget });
    await failureOf(client.generate(llmRequest(model)));
    await failureOf(client.generate(llmRequest(model)));
    expect(steps.filter(([step]) => step !== 'reserve')).toEqual([['release'], ['settle', 0.002866]]);
  });

  it('says on the call’s description and its result that the cache missed', async () => {
    const { provider } = scriptedProvider(answer());
    const { client, seen } = clientWith(provider, {}, undefined, { cache: inProcessCache() });
    const result = await client.generate(llmRequest(model));
    expect(result.cache).toEqual({ hit: false });
    expect(seen.records.map((record) => record.cache)).toEqual([{ hit: false }]);
  });

  it('streams a cached answer as one delta, without calling the model again', async () => {
    const { provider, signals } = scriptedProvider(async (_signal, onChunk) => {
      onChunk({ text: 'RAG retrieves, ' });
      onChunk({ text: 'then generates.' });
      return answer();
    });
    const { client } = clientWith(provider, {}, undefined, { cache: inProcessCache() });
    const stream = async () => {
      const deltas: string[] = [];
      const result = await client.generateStream(llmRequest(model), { signal: new AbortController().signal, onDelta: (text) => deltas.push(text) });
      return { deltas, hit: result.cache.hit };
    };
    expect(await stream()).toEqual({ deltas: ['RAG retrieves, ', 'then generates.'], hit: false });
    expect(await stream()).toEqual({ deltas: ['RAG retrieves, then generates.'], hit: true });
    expect(signals).toHaveLength(1);
  });
});

describe('prices that change while a call runs', () => {
  // gemini-3.6-flash doubles its prices on 2027-01-01 (UTC): each call below starts before midnight and ends after it.
  const beforeMidnight = Date.UTC(2026, 11, 31, 23, 59, 59);
  const afterMidnight = Date.UTC(2027, 0, 1, 0, 0, 1);
  const datedModel = 'gemini-3.6-flash';
  afterEach(() => vi.useRealTimers());

  /** Moves the clock past midnight while the model works, then plays `outcome`. */
  const pastMidnight = (outcome: () => ProviderResponse) => async () => {
    vi.setSystemTime(afterMidnight);
    return outcome();
  };

  it('prices an answer at the prices of the day the call started', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(beforeMidnight);
    const { provider } = scriptedProvider(pastMidnight(() => answer({ responseModel: datedModel })));
    const { client, seen } = clientWith(provider);
    // 1000 × 0.75 + 200 × 0.075 + (300 + 100) × 3.75 per 1M tokens; after midnight it would be twice that.
    expect((await client.generate(llmRequest(datedModel))).cost.costUsd).toBe(0.002265);
    expect(seen.records[0]?.cost.costUsd).toBe(0.002265);
  });

  it('prices a billed failure at the prices of the day the call started', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(beforeMidnight);
    const thinking = { input: 1000, cached: 200, output: 0, reasoning: 1024, total: 2224 };
    const { provider } = scriptedProvider(
      pastMidnight(() => {
        throw new LlmError('max_tokens', 'model returned no text (finishReason MAX_TOKENS)', { usage: thinking, responseModel: datedModel });
      }),
    );
    const { client, seen } = clientWith(provider);
    await failureOf(client.generate(llmRequest(datedModel)));
    expect(seen.records[0]?.cost.costUsd).toBe(0.004605);
  });

  it('prices what a cancelled stream was billed at the prices of the day the call started', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(beforeMidnight);
    const partial = { input: 1000, cached: 200, output: 0, reasoning: 0, total: 1200 };
    const { provider } = scriptedProvider(async (signal, onChunk) => {
      onChunk({ text: '', usage: partial, responseModel: datedModel });
      vi.setSystemTime(afterMidnight);
      onChunk({ text: 'RAG ' });
      await untilAborted(signal);
      throw new LlmError('timeout', 'model call timed out');
    });
    const { client, seen } = clientWith(provider, { timeoutMs: 60_000, deadlineMs: 60_000 });
    const leaving = new AbortController();
    await failureOf(client.generateStream(llmRequest(datedModel), { signal: leaving.signal, onDelta: () => leaving.abort() }));
    expect(seen.records[0]).toMatchObject({ status: 'cancelled', cost: { costUsd: 0.000765 } });
  });
});
