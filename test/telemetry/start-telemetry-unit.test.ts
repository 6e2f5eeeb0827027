import { trace } from '@opentelemetry/api';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { startTelemetry } from '../../src/telemetry/index.js';
import { parseSamples } from '../helpers/metrics-text.js';

// What startTelemetry wires from the configuration into the registry, without any export sink.
describe('startTelemetry, metric wiring', () => {
  it('sizes the LLM latency buckets to the longest call the retry settings allow, in seconds', async () => {
    // 45 s deadline, shorter than 3 attempts of 15 s plus two 10 s back-offs each way: one doubling past 30 s.
    const telemetry = startTelemetry(loadConfig({ LLM_DEADLINE_MS: '45000' }), { logger: pino({ level: 'silent' }) });
    telemetry.metrics.llmLatency.observe({ labels: { model: 'gemini-2.5-flash' }, value: 1 });
    const bounds = parseSamples((await telemetry.renderMetrics(false)).body)
      .filter((sample) => sample.name === 'llm_latency_seconds_bucket')
      .map((sample) => sample.labels.le);
    expect(bounds).toEqual(['0.05', '0.1', '0.25', '0.5', '1', '2', '5', '10', '30', '60', '+Inf']);
  });

  it('counts the sessions the prometheus sink touches as active sessions', async () => {
    const telemetry = startTelemetry(loadConfig({}), { logger: pino({ level: 'silent' }) });
    telemetry.recordQuery({ status: 'error', sessionKey: 'session-a', traceId: 'ab'.repeat(16) });
    telemetry.recordQuery({ status: 'success', sessionKey: 'session-b', traceId: 'ab'.repeat(16) });
    telemetry.recordQuery({ status: 'success', sessionKey: 'session-a', traceId: 'ab'.repeat(16) });
    const [sample] = parseSamples((await telemetry.renderMetrics(false)).body).filter((s) => s.name === 'active_sessions');
    expect(sample?.value).toBe(2);
  });
});

describe('startTelemetry without a trace sink', () => {
  it('gives every agent run a fresh trace id, on a span that records nothing', async () => {
    const telemetry = startTelemetry(loadConfig({}), { logger: pino({ level: 'silent' }) });
    const run = () => telemetry.runAgent({ name: 'orchestrator', inputs: {} }, async ({ traceId }) => ({ traceId, recording: trace.getActiveSpan()?.isRecording() }));
    const [first, second] = [await run(), await run()];
    expect(first.recording).toBe(false);
    expect(first.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(first.traceId).not.toBe('0'.repeat(32));
    expect(second.traceId).not.toBe(first.traceId);
  });
});
