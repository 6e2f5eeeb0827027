import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SinkName } from '../../src/telemetry/types.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { startFakeSinks, type FakeSinks } from '../helpers/fake-sinks.js';
import { metricValue, metricValueIfAny } from '../helpers/metrics-text.js';

// Each sink's own code is made to throw, one sink at a time, inside the real app with every sink on and
// the real SDKs exporting to the fakes: the query must still answer, the model must be called once, the
// failure must be counted once against that sink, and every other sink must still get its signal.

type Signal = 'jaeger generation' | 'langfuse generation' | 'prometheus' | 'log line' | 'langsmith llm run';
const allSignals: Signal[] = ['jaeger generation', 'langfuse generation', 'prometheus', 'log line', 'langsmith llm run'];

interface Case {
  sink: SinkName;
  what: string;
  breakIt(service: TestApp): void;
  /** Signals the broken sink itself loses; every other one must arrive. */
  lost: Signal[];
}

const fail = () => {
  throw new Error('sink bug');
};

const cases: Case[] = [
  { sink: 'tracing', what: 'starting the generation span', breakIt: (s) => void vi.spyOn(s.telemetry.sinks.spans, 'startGeneration').mockImplementation(fail), lost: ['jaeger generation', 'langfuse generation'] },
  { sink: 'tracing', what: 'the span attributes', breakIt: (s) => void vi.spyOn(s.telemetry.sinks.spans, 'describeGeneration').mockImplementation(fail), lost: [] },
  { sink: 'langfuse', what: 'the LangFuse generation mapping', breakIt: (s) => void vi.spyOn(s.telemetry.sinks.langfuse, 'describeGeneration').mockImplementation(fail), lost: [] },
  { sink: 'prometheus', what: 'a Prometheus metric', breakIt: (s) => void vi.spyOn(s.telemetry.metrics.llmRequests, 'inc').mockImplementation(fail), lost: ['prometheus'] },
  { sink: 'logs', what: 'the logger', breakIt: (s) => void vi.spyOn(s.telemetry.logger, 'info').mockImplementation(fail), lost: ['log line'] },
  {
    sink: 'langsmith',
    what: 'the LangSmith buffer',
    breakIt: (s) => void vi.spyOn(s.telemetry.sinks.langsmith as NonNullable<typeof s.telemetry.sinks.langsmith>, 'onLlmCall').mockImplementation(fail),
    lost: ['langsmith llm run'],
  },
];

let fakes: FakeSinks;
let service: TestApp | undefined;

beforeAll(async () => {
  fakes = await startFakeSinks();
});
afterEach(async () => {
  vi.restoreAllMocks();
  await service?.close();
  service = undefined;
});
afterAll(async () => {
  await fakes?.close();
});

async function receivedSignals(traceId: string, metricsText: string, logs: TestApp['logs'], langsmithRunsBefore: number): Promise<Set<Signal>> {
  const received = new Set<Signal>();
  const isGeneration = (name: string) => name.startsWith('generate_content ');
  if (fakes.otlp.spans().some((span) => span.traceId === traceId && isGeneration(span.name) && span.endTimeUnixNano)) received.add('jaeger generation');
  if (fakes.langfuse.observations().some((observation) => observation.traceId === traceId && observation.type.toLowerCase() === 'generation')) {
    received.add('langfuse generation');
  }
  if (metricValueIfAny(metricsText, 'llm_requests_total', { status: 'success' }) === 1) received.add('prometheus');
  if (logs.filter((line) => line.event === 'llm_call' && line.trace_id === traceId).length === 1) received.add('log line');
  if (fakes.langsmith.runs().slice(langsmithRunsBefore).some((run) => run.run_type === 'llm')) received.add('langsmith llm run');
  return received;
}

describe('readiness with every sink on', () => {
  it('names the model provider and the export sinks that are on', async () => {
    service = await startTestApp(fakes.env);
    const ready = await service.app.inject({ url: '/readyz' });
    expect(ready.json()).toEqual({ status: 'ready', checks: { config: true, corpus: true, prompts: true }, provider: 'gemini', sinks: ['otlp', 'langfuse', 'langsmith'] });
  });
});

describe('a sink whose own code throws', () => {
  it.each(cases)('$sink: $what leaves the query at 200 with one model call, counted once', async ({ sink, breakIt, lost }) => {
    service = await startTestApp({ ...fakes.env, LLM_MAX_RETRIES: '0' });
    const langsmithRunsBefore = fakes.langsmith.runs().length;
    const modelCallsBefore = fakes.gemini.calls.length;
    breakIt(service);

    const response = await service.app.inject({ method: 'POST', url: '/api/query', payload: { query: 'What are the latest advances in RAG systems?' } });

    expect(response.statusCode, response.body).toBe(200);
    const body = response.json() as { answer: string; metadata: { trace_id: string } };
    expect(body.answer.length).toBeGreaterThan(0);
    expect(fakes.gemini.calls.length - modelCallsBefore).toBe(1);
    const metricsText = await service.metricsText();
    for (const name of ['tracing', 'langfuse', 'prometheus', 'logs', 'langsmith'] as const) {
      expect(metricValue(metricsText, 'telemetry_internal_errors_total', { sink: name }), name).toBe(name === sink ? 1 : 0);
    }

    vi.restoreAllMocks();
    await service.close();
    const received = await receivedSignals(body.metadata.trace_id, metricsText, service.logs, langsmithRunsBefore);
    service = undefined;
    expect([...received].sort()).toEqual(allSignals.filter((signal) => !lost.includes(signal)).sort());
  });
});
