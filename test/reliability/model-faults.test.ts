import { trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLlmClient } from '../../src/llm/client.js';
import { createGeminiProvider } from '../../src/llm/providers/gemini.js';
import type { GeminiScript } from '../fakes/gemini.js';
import { startTestApp, linesWithMessage, type TestApp } from '../helpers/app.js';
import { fakeCredentials, startFakeSinks, type FakeSinks } from '../helpers/fake-sinks.js';
import { llmRequest } from '../helpers/llm-request.js';
import { metricValue, metricValueIfAny } from '../helpers/metrics-text.js';
import { watchUnhandledRejections } from '../helpers/unhandled-rejections.js';

// Every Gemini fault the notes list, through the API (and the LLM client for streams): each ends in a
// success after retries or a typed 502/503/504 carrying the trace id, and every failed attempt is
// visible in the metrics, the log, the span and the LangFuse generation.
const settings = {
  LLM_TIMEOUT_MS: '300',
  LLM_MAX_RETRIES: '2',
  LLM_RETRY_BASE_MS: '10',
  LLM_RETRY_MAX_DELAY_MS: '400',
  // Faults are scripted one after another here; the breaker has its own test.
  LLM_CIRCUIT_FAILURES: '1000',
};
const attempts = Number(settings.LLM_MAX_RETRIES) + 1;

let sinks: FakeSinks;
let service: TestApp;
const rejections = watchUnhandledRejections();

beforeAll(async () => {
  sinks = await startFakeSinks();
  service = await startTestApp({ ...settings, ...sinks.env });
});
afterAll(async () => {
  rejections.stop();
  await service?.close();
  await sinks?.close();
});

/** Runs `work` and returns what it changed in the failed-attempt signals. */
async function measured<T>(work: () => Promise<T>) {
  const errorsBefore = metricValueIfAny(await service.metricsText(), 'llm_requests_total', { status: 'error' });
  const logsBefore = service.logs.length;
  const result = await work();
  const newLogs = service.logs.slice(logsBefore);
  return {
    result,
    failedAttemptsCounted: metricValue(await service.metricsText(), 'llm_requests_total', { status: 'error' }) - errorsBefore,
    retryLogLines: linesWithMessage(newLogs, 'llm attempt failed, retrying').length,
    failureLogLines: linesWithMessage(newLogs, 'llm call failed').length,
  };
}

const query = (script: GeminiScript[]) =>
  measured(async () => {
    sinks.gemini.enqueue(...script);
    return service.app.inject({ method: 'POST', url: '/api/query', payload: { query: 'What is retrieval-augmented generation?' } });
  });

interface QueryCase {
  name: string;
  script: GeminiScript[];
  status: number;
  error?: string;
  failedAttempts: number;
}

const retried = (fault: GeminiScript, times = attempts): GeminiScript[] => Array.from({ length: times }, () => fault);

const queryCases: QueryCase[] = [
  { name: '429 then success', script: [{ kind: 'error', status: 429, retryDelay: '0.3s' }, { kind: 'ok' }], status: 200, failedAttempts: 1 },
  { name: '429 on every attempt', script: retried({ kind: 'error', status: 429, retryDelay: '60s' }), status: 503, error: 'llm_rate_limited', failedAttempts: attempts },
  { name: '429 with the daily quota spent (not retried)', script: [{ kind: 'error', status: 429, retryDelay: '59s', quotaId: 'GenerateRequestsPerDayPerProjectPerModel' }], status: 503, error: 'llm_rate_limited', failedAttempts: 1 },
  { name: '500 then 503 then success', script: [{ kind: 'error', status: 500 }, { kind: 'error', status: 503 }, { kind: 'ok' }], status: 200, failedAttempts: 2 },
  { name: '503 on every attempt', script: retried({ kind: 'error', status: 503 }), status: 502, error: 'llm_server_error', failedAttempts: attempts },
  { name: 'HTML 500 on every attempt', script: retried({ kind: 'error', status: 500, html: true }), status: 502, error: 'llm_server_error', failedAttempts: attempts },
  { name: 'no answer within LLM_TIMEOUT_MS', script: retried({ kind: 'hang' }), status: 504, error: 'llm_timeout', failedAttempts: attempts },
  { name: 'malformed JSON body', script: [{ kind: 'malformed' }], status: 502, error: 'llm_malformed', failedAttempts: 1 },
  { name: 'prompt blocked for safety', script: [{ kind: 'blocked', reason: 'SAFETY' }], status: 502, error: 'llm_blocked', failedAttempts: 1 },
  { name: 'finishReason SAFETY', script: [{ kind: 'finish', finishReason: 'SAFETY' }], status: 502, error: 'llm_blocked', failedAttempts: 1 },
  { name: 'finishReason RECITATION', script: [{ kind: 'finish', finishReason: 'RECITATION' }], status: 502, error: 'llm_blocked', failedAttempts: 1 },
  { name: 'MAX_TOKENS with empty text', script: [{ kind: 'finish', finishReason: 'MAX_TOKENS', text: '' }], status: 502, error: 'llm_max_tokens', failedAttempts: 1 },
];

describe('model faults through POST /api/query', () => {
  it.each(queryCases)('$name → $status', async ({ script, status, error, failedAttempts }) => {
    const { result: response, ...signals } = await query(script);
    expect(response.statusCode, response.body).toBe(status);
    const body = response.json() as { error?: string; message?: string; trace_id?: string; metadata?: { trace_id: string } };
    const traceId = (body.trace_id ?? body.metadata?.trace_id) as string;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    if (error) {
      expect(body).toMatchObject({ error, message: expect.any(String) });
    }
    if (status === 503) expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    expect(signals).toEqual({
      failedAttemptsCounted: failedAttempts,
      retryLogLines: error ? failedAttempts - 1 : failedAttempts,
      failureLogLines: error ? 1 : 0,
    });
  });

  it('tells the client when the quota frees up, from RetryInfo', async () => {
    const { result: response } = await query(retried({ kind: 'error', status: 429, retryDelay: '42.5s' }));
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('43');
  });
});


/** Streams through the same client the app uses, inside a parent span so that the trace id is known. */
function streamThroughClient(script: GeminiScript[]) {
  const client = createLlmClient({
    provider: createGeminiProvider({ apiKey: fakeCredentials.gemini, baseUrl: sinks.gemini.url }),
    providerName: 'gemini',
    telemetry: service.telemetry,
    settings: service.config.llm,
  });
  sinks.gemini.enqueue(...script);
  return measured(() =>
    trace.getTracer('model-faults-test').startActiveSpan('stream test', async (span) => {
      const traceId = span.spanContext().traceId;
      try {
        return { traceId, outcome: await client.generate(llmRequest(service.config.llm.models.medium, true)) };
      } catch (error) {
        return { traceId, outcome: error as Error };
      } finally {
        span.end();
      }
    }),
  );
}

interface StreamCase {
  name: string;
  script: GeminiScript[];
  errorType?: string;
  httpStatus?: number;
  failedAttempts: number;
}

const streamCases: StreamCase[] = [
  { name: 'error chunk mid-stream', script: [{ kind: 'midstream-error' }], errorType: 'stream_error', httpStatus: 502, failedAttempts: 1 },
  { name: 'unparseable SSE chunk', script: [{ kind: 'malformed' }], errorType: 'malformed', httpStatus: 502, failedAttempts: 1 },
  { name: 'stream that never starts', script: retried({ kind: 'hang' }), errorType: 'timeout', httpStatus: 504, failedAttempts: attempts },
  { name: '503 before the stream, then a full stream', script: [{ kind: 'error', status: 503 }, { kind: 'ok' }], failedAttempts: 1 },
];

describe('model faults while streaming (stream: true, through the LLM client)', () => {
  it.each(streamCases)('$name', async ({ script, errorType, httpStatus, failedAttempts }) => {
    const { result, ...signals } = await streamThroughClient(script);
    if (errorType) {
      // A failed stream must never look like a finished answer.
      expect(result.outcome).toMatchObject({ name: 'LlmError', type: errorType, httpStatus });
    } else {
      expect(result.outcome).toMatchObject({ text: expect.stringMatching(/\S/) });
    }
    expect(signals.failedAttemptsCounted).toBe(failedAttempts);
    expect(signals.retryLogLines + signals.failureLogLines).toBe(failedAttempts);
  });
});

const queryCase = (name: string) => queryCases.find((candidate) => candidate.name === name) as QueryCase;
const streamCase = (name: string) => streamCases.find((candidate) => candidate.name === name) as StreamCase;

describe('what the span sinks received for those calls', () => {
  it('shows every retried attempt as a span event and every final failure as a span error and an ERROR generation', async () => {
    // Its own calls, so that it asserts the same whether it runs alone or after the cases above: a success
    // after retries, a failure after retries, a failure that is not retried, and a failed stream.
    const expectedTraces: Array<{ name: string; traceId: string; failedAttempts: number; errorType?: string }> = [];
    for (const { name, script, error, failedAttempts } of ['500 then 503 then success', '503 on every attempt', 'malformed JSON body'].map(queryCase)) {
      const response = (await query(script)).result.json() as { trace_id?: string; metadata?: { trace_id: string } };
      // The API's error code is the client's error type with an llm_ prefix.
      expectedTraces.push({ name, traceId: (response.trace_id ?? response.metadata?.trace_id) as string, failedAttempts, errorType: error?.replace(/^llm_/, '') });
    }
    const stream = streamCase('error chunk mid-stream');
    const streamed = await streamThroughClient(stream.script);
    expectedTraces.push({ name: `stream: ${stream.name}`, traceId: streamed.result.traceId, failedAttempts: stream.failedAttempts, errorType: stream.errorType });

    const generationOf = (traceId: string) =>
      sinks.otlp.spans().find((span) => span.traceId === traceId && span.name.startsWith('generate_content'));
    await sinks.otlp.waitForSpans(() => expectedTraces.every(({ traceId }) => generationOf(traceId)), 5000);
    await sinks.langfuse.waitFor(({ observations }) => expectedTraces.every(({ traceId }) => observations.some((o) => o.traceId === traceId && o.type === 'generation')), 5000);

    expect(expectedTraces.map(({ errorType }) => errorType)).toEqual([undefined, 'server_error', 'malformed', 'stream_error']);
    for (const { name, traceId, failedAttempts, errorType } of expectedTraces) {
      const finalError = errorType !== undefined;
      const span = generationOf(traceId);
      const retriedAttempts = finalError ? failedAttempts - 1 : failedAttempts;
      expect(span?.events.filter((event) => event.name === 'llm.attempt_failed'), name).toHaveLength(retriedAttempts);
      expect(span?.status.code, name).toBe(finalError ? 2 : 0);
      expect(span?.attributes['error.type'], name).toBe(errorType);
      expect(span?.attributes['llm.retry.attempts'], name).toBe(failedAttempts + (finalError ? 0 : 1));
      const generation = sinks.langfuse.observations().find((o) => o.traceId === traceId && o.type === 'generation');
      expect(generation?.level ?? 'DEFAULT', name).toBe(finalError ? 'ERROR' : 'DEFAULT');
      expect(generation?.statusMessage?.split(': ')[0], name).toBe(errorType);
    }
  });

  it('left no unhandled promise rejection behind', () => {
    expect(rejections.seen).toEqual([]);
  });
});
