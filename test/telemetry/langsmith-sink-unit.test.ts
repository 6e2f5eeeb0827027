import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LangSmithSinkOptions } from '../../src/telemetry/sinks/langsmith/index.js';
import { pollUntil } from '../fakes/http-fake.js';
import { emitTrace, traceFixture, type TraceFixture, useLangSmithFake } from './langsmith-fixtures.js';
import { observeLangSmith } from './langsmith-sink-helpers.js';

const apiKey = 'ls-sink-unit-key';
const fake = useLangSmithFake(apiKey);
const maxQueuedBytes = 64 * 1024 * 1024;

const observe = (overrides: Partial<LangSmithSinkOptions> = {}) => observeLangSmith(fake(), apiKey, overrides);

const emit = emitTrace;

const traceId = (n: number) => n.toString(16).padStart(32, '0');

/** A fixture trace whose queued size (four runs at 1 KiB, the prompts, three times the answer) is `bytes`. */
function traceOfSize(n: number, bytes: number, answered = true): TraceFixture {
  const trace = traceFixture(traceId(n));
  const { system } = trace.llm.request;
  const answer = answered ? trace.llm.response!.text.length : 0;
  const prompt = 'p'.repeat(bytes - 4 * 1024 - system.length - 3 * answer);
  trace.llm = { ...trace.llm, request: { ...trace.llm.request, prompt }, response: answered ? trace.llm.response : undefined };
  return trace;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('LangSmith sink, queue size and timing', () => {
  it('keeps queued traces up to 64 MiB of texts and runs, and drops the oldest one byte beyond', () => {
    const atBound = observe();
    emit(atBound.observer, traceOfSize(1, maxQueuedBytes / 2));
    emit(atBound.observer, traceOfSize(2, maxQueuedBytes / 2, false));
    expect(atBound.observer.pendingTraces).toBe(2);
    expect(atBound.reporter.exportFailed).not.toHaveBeenCalled();

    const beyond = observe();
    emit(beyond.observer, traceOfSize(1, maxQueuedBytes / 2));
    emit(beyond.observer, traceOfSize(2, maxQueuedBytes / 2 + 1, false));
    expect(beyond.observer.pendingTraces).toBe(1);
    expect(beyond.reporter.exportFailed.mock.calls).toEqual([['langsmith', 4, 'run queue full']]);
  });

  it('posts a queued trace one second after it finished by default', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { observer } = observe({ flushIntervalMs: undefined });
    emit(observer, traceFixture());
    vi.advanceTimersByTime(999);
    expect(observer.pendingTraces).toBe(1);
    vi.advanceTimersByTime(1);
    expect(observer.pendingTraces).toBe(0);
    vi.useRealTimers();
    await observer.flush?.(5000);
    expect(fake().runs()).toHaveLength(4);
  });

  it('counts runs still unsent at the flush deadline once, not again when their post is aborted', async () => {
    await fake().setMode('hang');
    const { observer, reporter } = observe();
    emit(observer, traceFixture());
    await observer.flush?.(100);
    expect(reporter.exportFailed.mock.calls).toEqual([['langsmith', 4, 'runs still unsent at the flush deadline']]);
    // The abandoned post is aborted; let its rejection run through the sink before counting again.
    await pollUntil(() => fake().requests.length, (count) => count === 1, 5000, (count) => `${count} requests`);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reporter.exportFailed).toHaveBeenCalledTimes(1);
  });

  it('splits a batch over 16 MiB into halves, but posts a single large trace whole', async () => {
    const big = 9 * 1024 * 1024;
    const { observer, reporter } = observe();
    emit(observer, traceOfSize(1, big));
    emit(observer, traceOfSize(2, big));
    await observer.flush?.(20_000);
    expect(reporter.exportFailed).not.toHaveBeenCalled();
    expect(fake().requests.map((request) => request.path)).toEqual(['/runs/multipart', '/runs/multipart']);
    fake().reset();

    const single = observe();
    emit(single.observer, traceOfSize(3, 17 * 1024 * 1024));
    await single.observer.flush?.(20_000);
    expect(single.reporter.exportFailed).not.toHaveBeenCalled();
    expect(fake().requests.map((request) => request.path)).toEqual(['/runs/multipart']);
  });
});
