import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LangSmithSinkOptions } from '../../src/telemetry/sinks/langsmith/index.js';
import { pollUntil } from '../fakes/http-fake.js';
import { emitTrace, traceFixture, type TraceFixture, useLangSmithFake } from './langsmith-fixtures.js';
import { observeLangSmith } from './langsmith-sink-helpers.js';

const apiKey = 'ls-sink-unit-key';
const fake = useLangSmithFake(apiKey);
const observe = (overrides: Partial<LangSmithSinkOptions> = {}) => observeLangSmith(fake(), apiKey, overrides);

const traceId = (n: number) => n.toString(16).padStart(32, '0');
/** Finished traces are serialised in the event loop's next turn, after the response. */
const serialised = () => new Promise((resolve) => setImmediate(resolve));

/** Emits a finished trace and waits until it is queued. */
async function emit(observer: ReturnType<typeof observe>['observer'], trace: TraceFixture) {
  emitTrace(observer, trace);
  await serialised();
}

/** A fixture trace with a prompt of `characters` times `character`. */
function traceWithPrompt(n: number, characters: number, character = 'p'): TraceFixture {
  const trace = traceFixture(traceId(n));
  trace.llm = { ...trace.llm, request: { ...trace.llm.request, prompt: character.repeat(characters) } };
  return trace;
}

/** How many bytes of run JSON `trace` holds in the queue, measured by queueing it alone. */
async function queuedSize(trace: TraceFixture): Promise<number> {
  const { observer } = observe();
  await emit(observer, trace);
  return observer.queuedBytes;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('LangSmith sink, queue size and timing', () => {
  it('queues a trace as its runs’ JSON in UTF-8, the prompt counted once, in bytes', async () => {
    const base = await queuedSize(traceWithPrompt(1, 0));
    expect(await queuedSize(traceWithPrompt(1, 1000))).toBe(base + 1000);
    expect(await queuedSize(traceWithPrompt(1, 1000, '€'))).toBe(base + 3000);
  });

  it('counts a trace whose runs cannot be serialised as an internal error, and queues the next one', async () => {
    const { observer, reporter } = observe();
    const broken = traceFixture(traceId(1));
    broken.root = { ...broken.root, metadata: { ...broken.root.metadata, tokens: 10n } };
    await emit(observer, broken);
    expect(reporter.internalError.mock.calls).toEqual([['langsmith', expect.any(TypeError)]]);
    expect(observer.pendingTraces).toBe(0);
    await emit(observer, traceFixture(traceId(2)));
    expect(observer.pendingTraces).toBe(1);
  });

  it('keeps queued traces up to their size bound, 4 MiB by default, and turns away the trace one byte beyond', async () => {
    const bound = 4 * 1024 * 1024;
    const half = bound / 2 - (await queuedSize(traceWithPrompt(1, 0)));
    const atBound = observe();
    await emit(atBound.observer, traceWithPrompt(1, half));
    await emit(atBound.observer, traceWithPrompt(2, half));
    expect(atBound.observer.queuedBytes).toBe(bound);
    expect(atBound.observer.pendingTraces).toBe(2);
    expect(atBound.reporter.exportFailed).not.toHaveBeenCalled();

    const beyond = observe();
    await emit(beyond.observer, traceWithPrompt(1, half));
    await emit(beyond.observer, traceWithPrompt(2, half + 1));
    expect(beyond.observer.pendingTraces).toBe(1);
    expect(beyond.reporter.exportFailed.mock.calls).toEqual([['langsmith', 4, 'run queue full']]);
  });

  it('posts a queued trace one second after it finished by default', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { observer } = observe({ flushIntervalMs: undefined });
    await emit(observer, traceFixture());
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
    await emit(observer, traceFixture());
    await observer.flush?.(100);
    expect(reporter.exportFailed.mock.calls).toEqual([['langsmith', 4, 'runs still unsent at the flush deadline']]);
    // The abandoned post is aborted; let its rejection run through the sink before counting again.
    await pollUntil(() => fake().requests.length, (count) => count === 1, 5000, (count) => `${count} requests`);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reporter.exportFailed).toHaveBeenCalledTimes(1);
  });

  it('splits a batch before encoding it when its runs with their multipart framing (256 bytes a run at most) could pass 16 MiB', async () => {
    const runsPerTrace = 4;
    const base = await queuedSize(traceWithPrompt(1, 0));
    const first = 8 * 1024 * 1024;
    // The largest second prompt that still goes in one body: 64 bytes for the body, 256 for each run's framing.
    const fitting = 16 * 1024 * 1024 - 64 - 2 * runsPerTrace * 256 - 2 * base - first;
    for (const [extra, posts] of [
      [0, 1],
      [1, 2],
    ] as const) {
      fake().reset();
      const { observer, reporter } = observe({ maxQueuedBytes: 64 * 1024 * 1024 });
      await emit(observer, traceWithPrompt(1, first));
      await emit(observer, traceWithPrompt(2, fitting + extra));
      await observer.flush?.(20_000);
      expect(reporter.exportFailed).not.toHaveBeenCalled();
      expect(fake().requests.filter((request) => request.path === '/runs/multipart')).toHaveLength(posts);
    }
  });

  it('splits a batch over 16 MiB into halves, but posts a single large trace whole', async () => {
    const big = 9 * 1024 * 1024;
    const { observer, reporter } = observe({ maxQueuedBytes: 64 * 1024 * 1024 });
    await emit(observer, traceWithPrompt(1, big));
    await emit(observer, traceWithPrompt(2, big));
    await observer.flush?.(20_000);
    expect(reporter.exportFailed).not.toHaveBeenCalled();
    expect(fake().requests.map((request) => request.path)).toEqual(['/runs/multipart', '/runs/multipart']);
    fake().reset();

    const single = observe({ maxQueuedBytes: 64 * 1024 * 1024 });
    await emit(single.observer, traceWithPrompt(3, 17 * 1024 * 1024));
    await single.observer.flush?.(20_000);
    expect(single.reporter.exportFailed).not.toHaveBeenCalled();
    expect(fake().requests.map((request) => request.path)).toEqual(['/runs/multipart']);
  });
});
