import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeMode } from '../fakes/http-fake.js';
import { pollUntil } from '../fakes/http-fake.js';
import { startLokiFake, type LokiFake } from '../fakes/loki.js';
import { postJson, timed } from '../helpers/http-client.js';
import { metricValue } from '../helpers/metrics-text.js';
import { median } from '../helpers/stats.js';
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

async function queryLatencies(count: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const { value: response, ms } = await timed(() => postJson(service.url, '/api/query', { query: `What is RAG? (${i})` }));
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    latencies.push(ms);
  }
  return latencies;
}

const lokiFailures = async () =>
  metricValue(await (await fetch(`${service.url}/metrics`)).text(), 'telemetry_export_failures_total', { sink: 'loki' });

describe('Loki down, hanging or failing', () => {
  let healthyMedianMs = 0;

  it('ships log lines while healthy (the baseline)', async () => {
    await queryLatencies(5);
    healthyMedianMs = median(await queryLatencies(15));
    await loki.waitForEntries((entries) => entries.some((entry) => entry.line.includes('"event":"llm_call"')), 5000);
    expect(await lokiFailures()).toBe(0);
  });

  it.each<FakeMode>(['fail', 'hang', 'down'])('Loki %s: queries are unaffected and the lost pushes are counted', async (mode) => {
    const before = await lokiFailures();
    await loki.setMode(mode);
    try {
      const latencies = await queryLatencies(15);
      expect(median(latencies)).toBeLessThan(Math.max(healthyMedianMs * 4, healthyMedianMs + 100));
      await pollUntil(lokiFailures, (count) => count > before, 8000, (count) => `loki failures: ${count}`);
    } finally {
      await loki.setMode('ok');
    }
    const dropped = metricValue(await (await fetch(`${service.url}/metrics`)).text(), 'telemetry_dropped_total', { sink: 'loki' });
    expect(dropped).toBeGreaterThan(0);
  });

  it('wrote one warning to stdout for all those failures, not one per failed push', async () => {
    expect(await lokiFailures()).toBeGreaterThanOrEqual(3);
    const warnings = service.logs().filter((line) => line.msg === 'telemetry export failed' && line.sink === 'loki');
    expect(warnings).toHaveLength(1);
  });
});
