import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LokiStream, type LokiStreamOptions } from '../../src/telemetry/sinks/loki.js';
import { createMetrics } from '../../src/telemetry/sinks/prometheus-registry.js';
import { createFailureReporter } from '../../src/telemetry/support/failure-reporter.js';
import { pollUntil } from '../fakes/http-fake.js';
import { answerThenBreakOff } from '../helpers/broken-answer.js';
import { listenCountingConnections } from '../helpers/counting-server.js';
import { seriesValueOrZero } from '../helpers/metrics-text.js';
import { startFirstByteServer } from '../helpers/first-byte-server.js';

interface Push {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A Loki push endpoint that records each raw body and its connection, and answers `status` (204, as Loki
 * does, unless told), never, or with a body that breaks off.
 */
async function startPushEndpoint(status: number | 'hang' | 'break-off' = 204) {
  const pushes: Push[] = [];
  const server = createServer((request, response: ServerResponse) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      pushes.push({ path: request.url ?? '', headers: request.headers, body });
      if (status === 'break-off') answerThenBreakOff(response, 200);
      else if (status !== 'hang') response.writeHead(status).end();
    });
  });
  const { base, connections } = await listenCountingConnections(server);
  cleanups.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return { base, pushes, connections };
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function lokiStream(url: string, options: Partial<LokiStreamOptions> = {}) {
  const metrics = createMetrics();
  const reasons: unknown[] = [];
  const logger = { warn: (fields: Record<string, unknown>) => reasons.push(fields.reason) } as unknown as Logger;
  const stream = new LokiStream({
    url,
    labels: { service: 'researcherai', environment: 'test' },
    timeoutMs: 5000,
    reporter: createFailureReporter(metrics, () => logger),
    intervalMs: 60_000,
    ...options,
  });
  const counted = async (name: string) => seriesValueOrZero(await metrics.plainTextRegistry.metrics(), name, { sink: 'loki' });
  const close = async () => {
    stream.end();
    await once(stream, 'close');
  };
  return { stream, counted, reasons, close };
}

const labels = '"service":"researcherai","environment":"test"';
const line = (level: number, time: number, msg: string) => `{"level":${level},"time":${time},"msg":"${msg}"}`;

describe('Loki stream, unit', () => {
  it('maps every pino level, groups lines by level in order, and writes the exact push body', async () => {
    const loki = await startPushEndpoint();
    const { stream, close } = lokiStream(`${loki.base}/`);
    vi.spyOn(Date, 'now').mockReturnValue(1_700_000_000_123);
    const written = [
      line(10, 1, 'trace'),
      line(30, 2, 'info one'),
      line(20, 3, 'debug'),
      line(40, 4, 'warn'),
      line(50, 5, 'error'),
      line(60, 6, 'fatal'),
      line(70, 7, 'custom level'),
      line(30, 8, 'info two'),
      // Not pino's prefix (the level is not at the start): read as info, stamped now.
      `x${line(50, 9, 'shifted')}`,
      '"trace_id":"0a","span_id":"0b"} at the start',
    ];
    for (const text of written) expect(stream.write(`${text}\n`)).toBe(true);
    await close();
    expect(loki.pushes.map(({ path }) => path)).toEqual(['/loki/api/v1/push']);
    expect(loki.pushes[0]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(loki.pushes[0]!.body)).toEqual({
      streams: [
        { stream: { service: 'researcherai', environment: 'test', level: 'debug' }, values: [['1000000', written[0]], ['3000000', written[2]]] },
        {
          stream: { service: 'researcherai', environment: 'test', level: 'info' },
          values: [
            ['2000000', written[1]],
            ['7000000', written[6]],
            ['8000000', written[7]],
            ['1700000000123000000', written[8]],
            ['1700000000123000000', written[9], { trace_id: '0a', span_id: '0b' }],
          ],
        },
        { stream: { service: 'researcherai', environment: 'test', level: 'warning' }, values: [['4000000', written[3]]] },
        { stream: { service: 'researcherai', environment: 'test', level: 'error' }, values: [['5000000', written[4]]] },
        { stream: { service: 'researcherai', environment: 'test', level: 'critical' }, values: [['6000000', written[5]]] },
      ],
    });
  });

  it('sends the trace and span ids as structured metadata, byte for byte', async () => {
    const loki = await startPushEndpoint();
    const { stream, close } = lokiStream(loki.base);
    const inSpan = '{"level":30,"time":11,"pid":1,"trace_id":"abc","span_id":"def","msg":"in a span"}';
    stream.write(inSpan);
    await close();
    expect(loki.pushes.map(({ body }) => body)).toEqual([
      `{"streams":[{"stream":{${labels},"level":"info"},"values":[["11000000",${JSON.stringify(inSpan)},{"trace_id":"abc","span_id":"def"}]]}]}`,
    ]);
  });

  it('takes the ids pino’s mixin writes, not a trace id inside a logged object or one that is not an id', async () => {
    const loki = await startPushEndpoint();
    const { stream, close } = lokiStream(loki.base);
    const lines = [
      // Outside a span: a logged object about another trace carries its trace id, nested.
      '{"level":30,"time":1,"pid":1,"feedback":{"trace_id":"abc","span_id":"def"},"msg":"nested"}',
      // A top-level field named like the mixin's, whose value is no id: its text must not reach the metadata.
      '{"level":30,"time":2,"pid":1,"trace_id":"\\"},\\"x","span_id":"def","msg":"not an id"}',
      // The trace id without the span id right after it.
      '{"level":30,"time":3,"pid":1,"trace_id":"abc","msg":"no span id"}',
      '{"level":30,"time":4,"pid":1,"trace_id":"abc","span_id":"def","nested":{"trace_id":"123","span_id":"456"},"msg":"both"}',
    ];
    for (const line of lines) stream.write(line);
    await close();
    const values = (JSON.parse(loki.pushes[0]!.body) as { streams: Array<{ values: unknown[][] }> }).streams[0]!.values;
    expect(values.map((value) => value[2])).toEqual([undefined, undefined, undefined, { trace_id: 'abc', span_id: 'def' }]);
  });

  it('pushes under a path prefix, with or without the trailing slash', async () => {
    const loki = await startPushEndpoint();
    for (const url of [`${loki.base}/loki-gw`, `${loki.base}/loki-gw/`]) {
      const { stream, close } = lokiStream(url);
      stream.write(line(30, 1, 'hello'));
      await close();
    }
    expect(loki.pushes.map(({ path }) => path)).toEqual(['/loki-gw/loki/api/v1/push', '/loki-gw/loki/api/v1/push']);
  });

  it('pushes on its interval (1 s unless told), then again with only the lines written since', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const loki = await startPushEndpoint();
    const { stream, close } = lokiStream(loki.base, { intervalMs: undefined });
    stream.write(line(30, 1, 'first'));
    vi.advanceTimersByTime(1000);
    await pollUntil(() => loki.pushes.length, (count) => count === 1, 5000, (count) => `pushes: ${count}`);
    // Let the first push settle before the next interval.
    await new Promise((resolve) => setTimeout(resolve, 50));
    stream.write(line(40, 2, 'second'));
    vi.advanceTimersByTime(1000);
    await pollUntil(() => loki.pushes.length, (count) => count === 2, 5000, (count) => `pushes: ${count}`);
    await close();
    expect(loki.pushes.map(({ body }) => body)).toEqual([
      `{"streams":[{"stream":{${labels},"level":"info"},"values":[["1000000",${JSON.stringify(line(30, 1, 'first'))}]]}]}`,
      `{"streams":[{"stream":{${labels},"level":"warning"},"values":[["2000000",${JSON.stringify(line(40, 2, 'second'))}]]}]}`,
    ]);
  });

  it('writes its 256 KiB slabs anew once a push holds their lines: lines arrive intact, and no slab is taken beyond three', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const slabs = vi.spyOn(Buffer, 'allocUnsafeSlow');
    const loki = await startPushEndpoint();
    const { stream, close } = lokiStream(loki.base, { intervalMs: 10 });
    // Lines of about 10 KB: a slab takes about 24 of them, a wave of 50 fills two.
    const text = (wave: number, index: number) => line(30, wave * 100 + index, `${wave}.${index}:${'x'.repeat(10_000)}`);
    for (let wave = 0; wave < 4; wave += 1) {
      for (let index = 0; index < 50; index += 1) stream.write(text(wave, index));
      vi.advanceTimersByTime(10);
      await pollUntil(() => loki.pushes.length, (count) => count === wave + 1, 5000, (count) => `pushes: ${count}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await close();
    const pushed = loki.pushes.map(({ body }) => (JSON.parse(body) as { streams: Array<{ values: string[][] }> }).streams[0]!.values.map(([, text]) => text));
    expect(pushed).toEqual([0, 1, 2, 3].map((wave) => Array.from({ length: 50 }, (_, index) => text(wave, index))));
    expect(slabs.mock.calls.filter(([bytes]) => bytes === 256 * 1024)).toHaveLength(3);
  });

  it('keeps one connection to Loki for every push, and closes it with the stream', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const loki = await startPushEndpoint();
    const { stream, close } = lokiStream(loki.base, { intervalMs: 10 });
    for (const [count, message] of [[1, 'first'], [2, 'second']] as const) {
      stream.write(line(30, count, message));
      vi.advanceTimersByTime(10);
      await pollUntil(() => loki.pushes.length, (pushes) => pushes === count, 5000, (pushes) => `pushes: ${pushes}`);
      // Let the push settle before the next interval.
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect([loki.connections.opened, loki.connections.open]).toEqual([1, 1]);
    await close();
    await pollUntil(() => loki.connections.open, (open) => open === 0, 1000, (open) => `open connections: ${open}`);
  });

  it('uses the interval it is given', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const loki = await startPushEndpoint();
    const { stream, close } = lokiStream(loki.base, { intervalMs: 5 });
    stream.write(line(30, 1, 'soon'));
    vi.advanceTimersByTime(5);
    await pollUntil(() => loki.pushes.length, (count) => count === 1, 5000, (count) => `pushes: ${count}`);
    await close();
    expect(loki.pushes).toHaveLength(1);
  });

  it('sends nothing when nothing was written', async () => {
    const loki = await startPushEndpoint();
    const { close, counted } = lokiStream(loki.base);
    await close();
    expect(loki.pushes).toEqual([]);
    expect(await counted('telemetry_export_failures_total')).toBe(0);
  });

  it('counts a 3xx or 5xx answer as a failed push, with its status', async () => {
    for (const status of [300, 500]) {
      const loki = await startPushEndpoint(status);
      const { stream, close, counted, reasons } = lokiStream(loki.base);
      stream.write(line(30, 1, 'a'));
      stream.write(line(30, 2, 'b'));
      await close();
      expect(await counted('telemetry_export_failures_total')).toBe(1);
      expect(await counted('telemetry_dropped_total')).toBe(2);
      expect(reasons).toEqual([`Loki push failed: HTTP ${status}`]);
    }
  });

  it('gives up a push that gets no answer within its timeout', async () => {
    const loki = await startPushEndpoint('hang');
    const { stream, close, reasons } = lokiStream(loki.base, { timeoutMs: 50, closeTimeoutMs: 5000 });
    stream.write(line(30, 1, 'a'));
    await close();
    expect(reasons).toEqual(['Loki push failed: no answer within 50 ms']);
  });

  it('closes within its close bound while a push hangs', async () => {
    const loki = await startPushEndpoint('hang');
    const { stream, close, counted } = lokiStream(loki.base, { timeoutMs: 60_000, closeTimeoutMs: 20 });
    stream.write(line(30, 1, 'a'));
    await close();
    expect(loki.pushes).toHaveLength(1);
    expect(await counted('telemetry_export_failures_total')).toBe(0);
  });

  it('counts a push whose answer breaks off mid-body as failed', async () => {
    const loki = await startPushEndpoint('break-off');
    const { stream, close, counted, reasons } = lokiStream(loki.base);
    stream.write(line(30, 1, 'a'));
    await close();
    expect(await counted('telemetry_export_failures_total')).toBe(1);
    expect(reasons).toEqual(['Loki push failed: aborted']);
  });

  it('counts a refused connection', async () => {
    const loki = await startPushEndpoint();
    cleanups.splice(0).forEach((cleanup) => cleanup());
    const { stream, close, reasons } = lokiStream(loki.base);
    stream.write(line(30, 1, 'a'));
    await close();
    expect(reasons).toEqual([`Loki push failed: connect ECONNREFUSED ${loki.base.slice('http://'.length)}`]);
  });

  it('speaks TLS to an https URL', async () => {
    const tcp = await startFirstByteServer();
    cleanups.push(tcp.close);
    const { stream, close, counted } = lokiStream(`https://127.0.0.1:${tcp.port}`);
    stream.write(line(30, 1, 'a'));
    await close();
    // 0x16: a TLS handshake record (the ClientHello).
    expect(tcp.firstBytes).toEqual([0x16]);
    expect(await counted('telemetry_export_failures_total')).toBe(1);
  });
});
