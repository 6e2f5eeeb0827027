import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { startTelemetry } from '../../src/telemetry/index.js';
import { startFakeSinks, type FakeSinks } from '../helpers/fake-sinks.js';
import { metricValue } from '../helpers/metrics-text.js';
import { traceFixture } from './langsmith-fixtures.js';

// The telemetry layer as startTelemetry wires it, in-process, against the protocol fakes: which sinks the
// configuration turns on, that each gets what it should (content stripped from Jaeger, masked everywhere,
// the environment on LangFuse's spans), and that shutdown delivers what was still queued. NodeSDK registers
// the process-wide tracer provider once per process, so the test that reads spans comes first.
let fakes: FakeSinks;
const lines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  fakes = await startFakeSinks();
});
afterAll(() => fakes?.close());

function start() {
  const config = loadConfig({ ...fakes.telemetryEnv, APP_ENV: 'staging', REDACT_PATTERNS: 'secret-\\d+', TELEMETRY_EXPORT_TIMEOUT_MS: '3000' });
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        done();
      },
    }),
  );
  return startTelemetry(config, { logger });
}

describe('startTelemetry', () => {
  it('delivers one query’s spans, runs and feedback to every sink by the time shutdown returns', async () => {
    const telemetry = start();
    expect(telemetry.exportSinks).toEqual(['otlp', 'langfuse', 'langsmith']);
    const { llm } = traceFixture();
    const request = { ...llm.request, prompt: 'about secret-42' };
    const traceId = await telemetry.runAgent(
      { name: 'orchestrator', inputs: { query: 'about secret-42' }, trace: { name: 'research-query', userId: 'user-1', sessionId: 'session-1' } },
      async (run) => {
        const call = telemetry.startLlmCall(request, 'gcp.gemini');
        call.finish({ ...llm, request, traceId: call.traceId, spanId: call.spanId });
        run.setOutputs({ answer: 'done' });
        return run.traceId;
      },
    );
    telemetry.recordQuery({ status: 'success', queryType: 'definition', costUsd: 0.001306, sessionKey: 'session-1', traceId });
    telemetry.recordFeedback({ id: 'vote-1', traceId, helpful: false, comment: 'leaks secret-7', first: true, promptVersion: 2 });
    await telemetry.shutdown(5000);

    // Jaeger: both spans, the prompt neither in content attributes nor anywhere else.
    const jaeger = fakes.otlp.spans();
    expect(jaeger.map(({ name }) => name).sort()).toEqual(['generate_content gemini-2.5-flash', 'invoke_agent orchestrator']);
    expect(jaeger.every((span) => span.traceId === traceId)).toBe(true);
    expect(jaeger[0]!.resource['service.name']).toBe('researcherai');
    const jaegerText = JSON.stringify(jaeger);
    expect(jaegerText).not.toContain('secret-42');
    expect(jaegerText).not.toContain('langfuse.observation.input');
    expect(jaegerText).not.toContain('langfuse.trace.input');

    // LangFuse: the generation and the agent, tagged with the environment, the prompt masked; the score.
    const observations = fakes.langfuse.observations();
    expect(observations.map(({ type }) => type).sort()).toEqual(['agent', 'generation']);
    expect(observations.every((observation) => observation.attributes['langfuse.environment'] === 'staging')).toBe(true);
    const generation = observations.find(({ type }) => type === 'generation')!;
    expect(generation.input).toEqual([
      { role: 'system', content: llm.request.system },
      { role: 'user', content: 'about [REDACTED]' },
    ]);
    expect(fakes.langfuse.scores()).toEqual([expect.objectContaining({ id: 'vote-1', traceId, name: 'user-feedback', value: 0, comment: 'leaks [REDACTED]' })]);

    // LangSmith: the root and llm runs, masked and tagged with the environment, and the feedback on the root.
    const runs = fakes.langsmith.runs();
    expect(runs.map(({ run_type }) => run_type).sort()).toEqual(['chain', 'llm']);
    expect(JSON.stringify(runs)).not.toContain('secret-42');
    expect(runs.find(({ run_type }) => run_type === 'chain')).toMatchObject({ tags: ['staging'], session_name: 'ResearcherAI' });
    expect(fakes.langsmith.feedback()).toEqual([expect.objectContaining({ key: 'user-feedback', score: 0, comment: 'leaks [REDACTED]' })]);

    // Prometheus: the session the query named, and no export failure.
    const metrics = (await telemetry.renderMetrics(false)).body;
    expect(metricValue(metrics, 'active_sessions')).toBe(1);
    expect(metricValue(metrics, 'telemetry_export_failures_total')).toBe(0);
    expect(metricValue(metrics, 'telemetry_internal_errors_total')).toBe(0);
    expect(lines.filter((line) => line.msg === 'llm call')).toHaveLength(1);
  });

  it('renders metrics as OpenMetrics (with exemplars) or the classic text format', async () => {
    const telemetry = startTelemetry(loadConfig({}), { logger: pino({ level: 'silent' }) });
    telemetry.recordQuery({ status: 'success', queryType: 'definition', costUsd: 0.001306, traceId: 'ab'.repeat(16) });
    const open = await telemetry.renderMetrics(true);
    const plain = await telemetry.renderMetrics(false);
    expect(open.contentType).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(plain.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(open.body).toMatch(/^query_cost_usd_bucket\{[^}]*\} 1 # \{trace_id="(ab){16}"\} 0.001306/m);
    expect(plain.body).not.toContain('# {trace_id=');
  });
  it('names no export sink when none is configured, and every configured one in a fixed order', () => {
    expect(startTelemetry(loadConfig({}), { logger: pino({ level: 'silent' }) }).exportSinks).toEqual([]);
    const all = loadConfig({ ...fakes.telemetryEnv, LOKI_URL: 'http://127.0.0.1:9' });
    expect(startTelemetry(all, { logger: pino({ level: 'silent' }) }).exportSinks).toEqual(['otlp', 'langfuse', 'langsmith', 'loki']);
  });

});
