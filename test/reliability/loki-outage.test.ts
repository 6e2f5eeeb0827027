import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeMode } from '../fakes/http-fake.js';
import { pollUntil } from '../fakes/http-fake.js';
import { startLokiFake, type LokiFake } from '../fakes/loki.js';
import { postJson } from '../helpers/http-client.js';
import { metricValue } from '../helpers/metrics-text.js';
import { startService, type ServiceProcess } from '../helpers/service-process.js';

// Loki is fed from pino's worker thread, so only a real process shows what an outage does to it.
let loki: LokiFake;
let service: ServiceProcess;

beforeAll(async () => {
  loki = await startLokiFake();
  service = await startService({ LOKI_URL: loki.url, TELEMETRY_EXPORT_TIMEOUT_MS: '500', RATE_LIMIT_PER_MINUTE: '0' });
});
afterAll(async () => {
  service?.kill();
  await loki?.close();
});

async function queries(count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    const response = await postJson(service.url, '/api/query', { query: `What is RAG? (${i})` });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
  }
}

const metricsText = async () => (await fetch(`${service.url}/metrics`)).text();
const lokiFailures = async () => metricValue(await metricsText(), 'telemetry_export_failures_total', { sink: 'loki' });

/** Queries while Loki is in `mode`, until the failed push is counted; returns the failures before it. */
async function outage(mode: FakeMode): Promise<number> {
  const before = await lokiFailures();
  await loki.setMode(mode);
  try {
    // Every query still gets its 200; the latency an outage adds is measured by
    // scripts/measure-failure-modes.ts, not asserted here.
    await queries(15);
    await pollUntil(lokiFailures, (count) => count > before, 8000, (count) => `loki failures: ${count}`);
  } finally {
    await loki.setMode('ok');
  }
  return before;
}

describe('Loki down, hanging or failing', () => {
  it('ships log lines while healthy (the baseline)', async () => {
    await queries(5);
    await loki.waitForEntries((entries) => entries.some((entry) => entry.line.includes('"event":"llm_call"')), 5000);
    expect(await lokiFailures()).toBe(0);
  });

  it.each<FakeMode>(['fail', 'hang', 'down'])('Loki %s: queries are unaffected and the lost pushes are counted', async (mode) => {
    const droppedBefore = metricValue(await metricsText(), 'telemetry_dropped_total', { sink: 'loki' });
    await outage(mode);
    expect(metricValue(await metricsText(), 'telemetry_dropped_total', { sink: 'loki' })).toBeGreaterThan(droppedBefore);
  });

  it('writes one warning to stdout for several failed pushes, not one per failed push', async () => {
    // Two outages at least, whether or not the tests above ran first.
    await outage('fail');
    await outage('down');
    expect(await lokiFailures()).toBeGreaterThanOrEqual(2);
    const warnings = service.logs().filter((line) => line.msg === 'telemetry export failed' && line.sink === 'loki');
    expect(warnings).toHaveLength(1);
  });
});
