import { describe, expect, it } from 'vitest';
import type { LangSmithSinkOptions } from '../../src/telemetry/sinks/langsmith/index.js';
import { emitTrace, traceFixture, useLangSmithFake } from './langsmith-fixtures.js';
import { observeLangSmith } from './langsmith-sink-helpers.js';

const apiKey = 'ls-observer-key';
const fake = useLangSmithFake(apiKey);


const observe = (overrides: Partial<LangSmithSinkOptions> = {}) => observeLangSmith(fake(), apiKey, overrides);

const emit = emitTrace;

const traceIds = (count: number) => Array.from({ length: count }, (_, index) => index.toString(16).padStart(32, '0'));

describe('LangSmith sink', () => {
  it('posts every finished trace on flush, in one multipart body', async () => {
    const { observer, reporter } = observe();
    for (const traceId of traceIds(3)) emit(observer, traceFixture(traceId));
    expect(observer.pendingTraces).toBe(3);
    await observer.flush?.(5000);
    expect(fake().runs()).toHaveLength(12);
    expect(new Set(fake().runs().map((run) => run.trace_id)).size).toBe(3);
    expect(fake().requests.map((request) => `${request.method} ${request.path}`)).toEqual(['POST /runs/multipart']);
    expect(observer.pendingTraces).toBe(0);
    expect(reporter.exportFailed).not.toHaveBeenCalled();
  });

  it('masks REDACT_PATTERNS in what it sends', async () => {
    const { observer } = observe({ redactPatterns: [/RAG/g] });
    emit(observer, traceFixture());
    await observer.flush?.(5000);
    expect(JSON.stringify(fake().runs())).not.toContain('RAG');
    expect(JSON.stringify(fake().runs())).toContain('[REDACTED]');
  });

  it('counts a failed post as an export failure of every run in it', async () => {
    const { observer, reporter } = observe();
    await fake().setMode('fail');
    emit(observer, traceFixture());
    await observer.flush?.(5000);
    expect(reporter.exportFailed).toHaveBeenCalledWith('langsmith', 4, expect.stringContaining('run batch failed'));
  });

  it('bounds the queue of finished traces and counts what it drops', async () => {
    const { observer, reporter } = observe({ maxQueuedTraces: 2, batchTraces: 100 });
    for (const traceId of traceIds(5)) emit(observer, traceFixture(traceId));
    // Finished traces are serialised and queued in the event loop's next turn, after the response.
    expect(observer.pendingTraces).toBe(5);
    await new Promise((resolve) => setImmediate(resolve));
    expect(observer.pendingTraces).toBe(2);
    expect(reporter.exportFailed).toHaveBeenCalledTimes(3);
    expect(reporter.exportFailed).toHaveBeenCalledWith('langsmith', 4, 'run queue full');
  });

  it('bounds the unfinished traces at 1024 and counts the records of the one it drops', () => {
    const { observer, reporter } = observe();
    // Records whose root never ends (emitted outside a request) stay unfinished.
    for (const traceId of traceIds(1024)) observer.onAgentEnd?.(traceFixture(traceId).retriever);
    expect(reporter.dropped).not.toHaveBeenCalled();
    observer.onAgentEnd?.(traceFixture('f'.repeat(32)).retriever);
    expect(reporter.dropped.mock.calls).toEqual([['langsmith', 1]]);
  });

  it('records feedback on the root run of a sent trace, and a replacing vote updates it under the same id', async () => {
    const { observer, reporter } = observe();
    const trace = traceFixture();
    emit(observer, trace);
    await observer.flush?.(5000);
    const id = '0b5f3a52-4c1e-8d2a-9f00-5e6d7c8b9a01';
    const vote = { id, traceId: trace.root.traceId, userId: 'user-1', promptVersion: 2 };
    observer.onFeedback?.({ ...vote, helpful: false, comment: 'missed the survey', first: true });
    observer.onFeedback?.({ ...vote, helpful: true, comment: 'found it after all', first: false });
    // A first vote again, as after a restart that lost the vote store: still the same feedback.
    observer.onFeedback?.({ ...vote, helpful: true, comment: 'found it after all', first: true });
    await observer.flush?.(5000);
    const root = fake().runs().find((run) => run.name === 'orchestrator');
    expect(fake().feedback()).toEqual([
      expect.objectContaining({ id, run_id: root?.id, key: 'user-feedback', score: 1, comment: 'found it after all', session_id: fake().sessions()[0]?.id }),
    ]);
    expect(reporter.exportFailed).not.toHaveBeenCalled();
  });
});
