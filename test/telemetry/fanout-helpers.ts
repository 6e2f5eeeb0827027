// One in-process telemetry layer for unit tests of the fan-out and the sinks it feeds: the real span,
// LangFuse, Prometheus and log sinks, an in-memory span exporter and a capturing logger, built per test.
import { Writable } from 'node:stream';
import { context, trace } from '@opentelemetry/api';
import { node, tracing } from '@opentelemetry/sdk-node';
import pino from 'pino';
import { loadConfig } from '../../src/config/index.js';
import { createFanout, createGuard, type Sinks } from '../../src/telemetry/fanout.js';
import type { Score, ScoreSink } from '../../src/telemetry/sinks/langfuse-scores.js';
import { createLangfuseSink } from '../../src/telemetry/sinks/langfuse.js';
import { createLogSink, loggerOptions } from '../../src/telemetry/sinks/logs.js';
import { createPrometheusSink } from '../../src/telemetry/sinks/prometheus.js';
import { createMetrics } from '../../src/telemetry/sinks/prometheus-registry.js';
import { createSpanSink } from '../../src/telemetry/sinks/spans.js';
import { createRedactor } from '../../src/telemetry/support/redact.js';
import { createContentJson } from '../../src/telemetry/support/content-json.js';
import { createSessionTracker } from '../../src/telemetry/support/sessions.js';
import type { AgentRecord, RecordSink, SinkName, UserFeedback } from '../../src/telemetry/types.js';
import type { LlmCallRecord } from '../../src/llm/types.js';

const exporter = new tracing.InMemorySpanExporter();
let registered = false;

/** Registers, once per test file, a tracer provider that keeps every ended span in memory. */
function registerTracing() {
  if (registered) return;
  registered = true;
  new node.NodeTracerProvider({ spanProcessors: [new tracing.SimpleSpanProcessor(exporter)] }).register();
}

export type LogLine = Record<string, unknown> & { level: number; msg: string };

export function buildFanout({ captureContent = false, redactPatterns = [] as RegExp[], logLevel = 'info' } = {}) {
  registerTracing();
  exporter.reset();
  const sessions = createSessionTracker();
  const metrics = createMetrics({ countActiveSessions: () => sessions.active() });
  const lines: LogLine[] = [];
  const logger = pino(
    loggerOptions(loadConfig({ LOG_LEVEL: logLevel })),
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)) as LogLine);
        done();
      },
    }),
  );
  const scores: Score[] = [];
  const scoreSink = { record: (score: Score) => void scores.push(score), flush: async () => undefined } as ScoreSink;
  const langsmith = { llmCalls: [] as Array<[LlmCallRecord, string | undefined]>, agents: [] as AgentRecord[], feedback: [] as UserFeedback[] };
  const recordSink: RecordSink = {
    onLlmCall: (record, parentSpanId) => void langsmith.llmCalls.push([record, parentSpanId]),
    onAgentEnd: (record) => void langsmith.agents.push(record),
    onFeedback: (feedback) => void langsmith.feedback.push(feedback),
    flush: async () => undefined,
  };
  const sinks: Sinks = {
    spans: createSpanSink(captureContent),
    langfuse: createLangfuseSink(scoreSink, createRedactor(redactPatterns), createContentJson(false)),
    prometheus: createPrometheusSink(metrics, sessions.touch),
    logs: createLogSink(logger, captureContent),
    langsmith: recordSink,
  };
  const errors: Array<[SinkName, unknown]> = [];
  const fanout = createFanout(sinks, createGuard((sink, error) => errors.push([sink, error])));
  return {
    fanout,
    sinks,
    errors,
    lines,
    scores,
    langsmith,
    spans: () => exporter.getFinishedSpans(),
    metricsText: async () => (await sinks.prometheus.render(false)).body,
  };
}

/** Runs `work` with no active span, whatever the test around it did. */
export const withoutParent = <T>(work: () => T): T => context.with(trace.deleteSpan(context.active()), work);
