import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeMode } from '../fakes/http-fake.js';
import { pollUntil } from '../fakes/http-fake.js';
import { linesWithMessage, startTestApp, type TestApp } from '../helpers/app.js';
import { startFakeSinks, type FakeSinks, type TelemetrySink } from '../helpers/fake-sinks.js';
import { metricValue } from '../helpers/metrics-text.js';

// The in-process sinks (Jaeger/OTLP, LangFuse, LangSmith) are taken down, hung and made to fail while
// queries keep coming. Loki lives in pino's worker thread and is covered with a real process in
// loki-outage.test.ts.
const sinkNames = ['otlp', 'langfuse', 'langsmith'] as const satisfies readonly TelemetrySink[];
const faults: FakeMode[] = ['down', 'hang', 'fail'];
const queriesPerPhase = 15;

let sinks: FakeSinks;
let service: TestApp;

// The offline model: what is under test is the telemetry path, not the model call.
const sinkEnv = (fakes: FakeSinks, extra: Record<string, string> = {}) => ({
  ...fakes.telemetryEnv,
  TELEMETRY_EXPORT_TIMEOUT_MS: '500',
  ...extra,
});

beforeAll(async () => {
  sinks = await startFakeSinks();
  service = await startTestApp(sinkEnv(sinks));
});
afterAll(async () => {
  await service?.close();
  await sinks?.close();
});

/** Sends queries one after another, then feedback on the last (scores and LangSmith feedback). */
async function queryPhase(count: number, { feedback = true } = {}): Promise<void> {
  let last: { trace_id: string; feedback_token: string } | undefined;
  for (let i = 0; i < count; i += 1) {
    const response = await service.app.inject({ method: 'POST', url: '/api/query', payload: { query: `What is retrieval-augmented generation? (${i})` } });
    expect(response.statusCode, response.body).toBe(200);
    last = (response.json() as { metadata: { trace_id: string; feedback_token: string } }).metadata;
  }
  if (!feedback) return;
  const response = await service.app.inject({
    method: 'POST',
    url: '/api/feedback',
    payload: { trace_id: last?.trace_id, is_helpful: true, feedback_token: last?.feedback_token },
  });
  expect(response.statusCode, response.body).toBe(200);
}

const failures = async (sink: TelemetrySink) =>
  metricValue(await service.metricsText(), 'telemetry_export_failures_total', { sink });

/** One phase with every sink in `mode`, until each sink has counted a failure beyond what it had. */
async function faultPhase(mode: FakeMode) {
  const before = Object.fromEntries(await Promise.all(sinkNames.map(async (sink) => [sink, await failures(sink)] as const)));
  await Promise.all(sinkNames.map((sink) => sinks.setMode(sink, mode)));
  try {
    // Every query still gets its 200. How much latency a sink outage adds is a figure, measured by
    // scripts/measure-failure-modes.ts and the bench's "every sink hanging" run, not asserted here.
    await queryPhase(queriesPerPhase);
    for (const sink of sinkNames) {
      // A hanging sink is only counted once its export times out, so this also shows that exports do.
      await pollUntil(() => failures(sink), (count) => count > (before[sink] as number), 10_000, (count) => `${sink} failures: ${count}`);
    }
  } finally {
    await Promise.all(sinkNames.map((sink) => sinks.setMode(sink, 'ok')));
  }
}

describe('a telemetry sink that is down, hanging or failing', () => {
  it('serves normally with every sink healthy (the baseline)', async () => {
    await queryPhase(5, { feedback: false }); // warm-up: first requests compile and connect
    // LangSmith creates the project with the first runs; feedback sent before that cannot be placed.
    await sinks.langsmith.waitForRuns((runs) => runs.length > 0);
    await queryPhase(queriesPerPhase);
    for (const sink of sinkNames) expect(await failures(sink)).toBe(0);
  });

  it.each(faults)('sinks %s: queries still succeed, and every sink counts its failures', async (mode) => {
    await faultPhase(mode);
  });

  it('logs each failing sink once per 30 s, not once per failure', async () => {
    // Two outages at least, whether or not the tests above ran first.
    for (const mode of ['fail', 'down'] as const) await faultPhase(mode);
    const warnings = linesWithMessage(service.logs, 'telemetry export failed');
    for (const sink of sinkNames) {
      expect(await failures(sink)).toBeGreaterThanOrEqual(2);
      expect(warnings.filter((line) => line.sink === sink), sink).toHaveLength(1);
    }
  });
});

describe('memory stays bounded while every sink hangs', () => {
  it('caps each queue at TELEMETRY_QUEUE_SIZE and counts what it drops', async () => {
    await service?.close();
    service = await startTestApp(sinkEnv(sinks, { TELEMETRY_QUEUE_SIZE: '16' }));
    await Promise.all(sinkNames.map((sink) => sinks.setMode(sink, 'hang')));
    try {
      // Each query ends ~5 spans and one LangSmith trace: far more than 16 of each.
      await queryPhase(40);
      const text = await service.metricsText();
      for (const sink of sinkNames) {
        expect(metricValue(text, 'telemetry_dropped_total', { sink }), sink).toBeGreaterThan(0);
      }
    } finally {
      await Promise.all(sinkNames.map((sink) => sinks.setMode(sink, 'ok')));
    }
  });
});
