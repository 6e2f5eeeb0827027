import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LokiStream } from '../../src/telemetry/sinks/loki.js';
import { createMetrics } from '../../src/telemetry/sinks/prometheus-registry.js';
import { createFailureReporter } from '../../src/telemetry/support/failure-reporter.js';
import { startLokiFake, type LokiFake } from '../fakes/loki.js';
import { metricValue } from '../helpers/metrics-text.js';

let loki: LokiFake;
beforeAll(async () => {
  loki = await startLokiFake();
});
afterAll(() => loki?.close());

function lokiStream(options: { maxBufferedLines?: number; maxBufferedBytes?: number } = {}) {
  const metrics = createMetrics();
  const stream = new LokiStream({
    url: loki.url,
    labels: { service: 'researcherai', environment: 'test' },
    timeoutMs: 500,
    reporter: createFailureReporter(metrics, () => undefined),
    intervalMs: 60_000,
    ...options,
  });
  const counted = async (name: string) => metricValue(await metrics.plainTextRegistry.metrics(), name, { sink: 'loki' });
  return { stream, counted };
}

const infoLine = '{"level":30,"time":1795796848491,"pid":1,"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","msg":"llm call – \\"quoted\\""}';
const warnLine = '{"level":40,"time":1795796848500,"pid":1,"msg":"no span here"}';

describe('Loki stream', () => {
  it('pushes each line as pino wrote it, labelled by level, with the trace ids as structured metadata', async () => {
    const { stream, counted } = lokiStream();
    stream.write(`${infoLine}\n`);
    stream.write(`${warnLine}\n`);
    stream.end();
    await once(stream, 'close');
    const entries = await loki.entries();
    expect(entries.map(({ labels, ts, line, metadata }) => ({ labels, ts, line, metadata }))).toEqual([
      {
        labels: { service: 'researcherai', environment: 'test', level: 'info' },
        ts: '1795796848491000000',
        line: infoLine,
        metadata: { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7' },
      },
      { labels: { service: 'researcherai', environment: 'test', level: 'warning' }, ts: '1795796848500000000', line: warnLine, metadata: {} },
    ]);
    expect(await counted('telemetry_export_failures_total')).toBe(0);
  });

  it('keeps the first lines up to its bounds in lines and in bytes of their entries, and counts the ones it turns away', async () => {
    // Mostly beyond ASCII (3 bytes a character): a bound counted in characters would let a third line in.
    const line = (n: number) => warnLine.replace('no span here', `line ${n} ${'€'.repeat(40)}`);
    const entryBytes = (text: string) => Buffer.byteLength(`["1795796848500000000",${JSON.stringify(text)}]`);
    const byCount = lokiStream({ maxBufferedLines: 2 });
    const byBytes = lokiStream({ maxBufferedBytes: entryBytes(line(1)) + entryBytes(line(2)) });
    // A turned-away line is no back-pressure for pino: write() answers true whatever happens to the line.
    for (const { stream } of [byCount, byBytes]) for (let n = 1; n <= 4; n += 1) expect(stream.write(`${line(n)}\n`)).toBe(true);
    expect(await byCount.counted('telemetry_dropped_total')).toBe(2);
    expect(await byBytes.counted('telemetry_dropped_total')).toBe(2);
    await loki.reset();
    for (const { stream } of [byCount, byBytes]) {
      stream.end();
      await once(stream, 'close');
    }
    expect((await loki.entries()).map((entry) => entry.line)).toEqual([line(1), line(2), line(1), line(2)]);
  });

  it('counts a failed push with the lines it carried, and the lines dropped beyond its buffer', async () => {
    await loki.setMode('fail');
    try {
      const { stream, counted } = lokiStream({ maxBufferedLines: 2 });
      for (let i = 0; i < 5; i += 1) stream.write(`${warnLine}\n`);
      expect(await counted('telemetry_dropped_total')).toBe(3);
      stream.end();
      await once(stream, 'close');
      expect(await counted('telemetry_export_failures_total')).toBe(1);
      expect(await counted('telemetry_dropped_total')).toBe(5);
    } finally {
      await loki.setMode('ok');
    }
  });
});
