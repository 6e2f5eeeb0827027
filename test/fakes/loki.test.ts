import { gzipSync } from 'node:zlib';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLokiFake, type LokiFake } from './loki.js';

let fake: LokiFake;

beforeAll(async () => {
  fake = await startLokiFake();
});
afterAll(() => fake.close());
beforeEach(async () => {
  await fake.setMode('ok');
  await fake.reset();
});

function push(body: unknown, headers: Record<string, string> = {}, encode: (text: string) => string | Buffer = (t) => t) {
  return fetch(`${fake.url}/loki/api/v1/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: encode(JSON.stringify(body)),
  });
}

describe('Loki fake (child process) with pino + pino-loki', () => {
  it('receives pino-loki batches with labels and structured metadata, and the transport closes cleanly', async () => {
    const transport = pino.transport({
      target: 'pino-loki',
      options: { host: fake.url, batching: { interval: 0.2 }, labels: { service_name: 'researcher-api' }, timeout: 2000 },
    });
    const logger = pino({}, transport);
    logger.info({ meta: { trace_id: 'e124abcd' }, route: '/query' }, 'request served');
    logger.error('upstream failed');

    const entries = await fake.waitForEntries((e) => e.length === 2);
    const served = entries.find((e) => e.line.includes('request served'));
    expect(served?.labels).toMatchObject({ service_name: 'researcher-api', level: 'info' });
    expect(served?.metadata).toEqual({ trace_id: 'e124abcd' });
    expect(served?.ts).toMatch(/^\d{19}$/);
    expect(JSON.parse(served?.line ?? '{}')).toMatchObject({ route: '/query' });
    expect(entries.find((e) => e.line.includes('upstream failed'))?.labels.level).toBe('error');

    // With the receiver in this process, this end() would deadlock (see loki-server.ts).
    await new Promise<void>((resolve) => {
      transport.once('close', () => resolve());
      transport.end();
    });
  });

  it('accepts gzip bodies and answers 204', async () => {
    const body = { streams: [{ stream: { service_name: 'x' }, values: [['1795725314729000000', 'zipped']] }] };
    const response = await push(body, { 'content-encoding': 'gzip' }, (text) => gzipSync(text));
    expect(response.status).toBe(204);
    expect(await fake.entries()).toEqual([
      { labels: { service_name: 'x' }, ts: '1795725314729000000', line: 'zipped', metadata: {} },
    ]);
  });

  it('rejects a NaN timestamp with 400 and stores nothing from that push', async () => {
    const body = { streams: [{ stream: { service_name: 'x' }, values: [['1', 'fine'], ['NaN', 'bad']] }] };
    const response = await push(body);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('parsing "NaN"');
    expect(await fake.entries()).toEqual([]);
    expect((await fake.requests())[0]).toMatchObject({ path: '/loki/api/v1/push', status: 400 });
  });

  it('fails, refuses connections when down, and comes back on the same port', async () => {
    const body = { streams: [{ stream: { service_name: 'x' }, values: [['1', 'line']] }] };

    await fake.setMode('fail');
    expect((await push(body)).status).toBe(500);

    await fake.setMode('down');
    const refused = await push(body).catch((error: Error & { cause?: { code?: string } }) => error.cause?.code);
    expect(refused).toBe('ECONNREFUSED');

    await fake.setMode('ok');
    expect((await push(body)).status).toBe(204);
    expect(await fake.entries()).toHaveLength(1);
  });
});
