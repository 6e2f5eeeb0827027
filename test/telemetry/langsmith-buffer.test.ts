import { describe, expect, it } from 'vitest';
import { createTraceBuffer } from '../../src/telemetry/sinks/langsmith/buffer.js';
import { traceFixture } from './langsmith-fixtures.js';

const traceIds = (count: number) => Array.from({ length: count }, (_, index) => index.toString(16).padStart(32, '0'));

function buffer(limits = { maxTraces: 3, maxRecordsPerTrace: 4 }) {
  const dropped: number[] = [];
  return { buffer: createTraceBuffer(limits, (records) => dropped.push(records)), dropped };
}

describe('unfinished-trace buffer', () => {
  it('hands over a trace, complete, when its root ends', () => {
    const { buffer: traces, dropped } = buffer();
    const trace = traceFixture();
    traces.addAgent(trace.retriever);
    traces.addLlmCall(trace.llm, trace.reasoner.spanId);
    traces.addAgent(trace.reasoner);
    expect(traces.size).toBe(1);
    expect(traces.addAgent(trace.root)).toEqual({
      root: trace.root,
      agents: [trace.retriever, trace.reasoner],
      llmCalls: [{ record: trace.llm, parentSpanId: trace.reasoner.spanId }],
    });
    expect(traces.size).toBe(0);
    expect(dropped).toEqual([]);
  });

  it('holds at most maxTraces unfinished traces, evicting the oldest and counting its records', () => {
    const { buffer: traces, dropped } = buffer();
    const [first, ...rest] = traceIds(4).map((traceId) => traceFixture(traceId));
    traces.addAgent(first!.retriever);
    traces.addLlmCall(first!.llm, first!.reasoner.spanId);
    traces.addAgent(first!.reasoner);
    for (const trace of rest.slice(0, 2)) traces.addAgent(trace.retriever);
    expect(traces.size).toBe(3);
    expect(dropped).toEqual([]);
    traces.addAgent(rest[2]!.retriever);
    expect(traces.size).toBe(3);
    expect(dropped).toEqual([3]);
    // The evicted trace's root now finds nothing buffered.
    expect(traces.addAgent(first!.root)).toMatchObject({ agents: [], llmCalls: [] });
  });

  it('keeps at most maxRecordsPerTrace records of one trace, counting each one refused', () => {
    const { buffer: traces, dropped } = buffer({ maxTraces: 3, maxRecordsPerTrace: 2 });
    const trace = traceFixture();
    traces.addAgent(trace.retriever);
    traces.addAgent(trace.reasoner);
    traces.addLlmCall(trace.llm, trace.reasoner.spanId);
    traces.addAgent(trace.retriever);
    expect(dropped).toEqual([1, 1]);
    expect(traces.addAgent(trace.root)).toMatchObject({ agents: [trace.retriever, trace.reasoner], llmCalls: [] });
  });

  it('counts model calls and agents alike against maxRecordsPerTrace', () => {
    const { buffer: traces, dropped } = buffer({ maxTraces: 3, maxRecordsPerTrace: 2 });
    const trace = traceFixture();
    traces.addLlmCall(trace.llm, trace.reasoner.spanId);
    traces.addLlmCall(trace.llm, trace.reasoner.spanId);
    traces.addAgent(trace.retriever);
    expect(dropped).toEqual([1]);
    expect(traces.addAgent(trace.root)).toMatchObject({ agents: [], llmCalls: [{ record: trace.llm }, { record: trace.llm }] });
  });
});
