import { gzipSync } from 'node:zlib';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startMetricsServer } from '../../src/metrics-server.js';
import { listenOnLoopback, startTestApp, type TestApp } from '../helpers/app.js';
import { rawRequest } from '../helpers/raw-http.js';
import { freePort } from '../ops/processes.js';

// The "loose HTTP edges", one by one, each with the answer the README promises.
let service: TestApp | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

const body = JSON.stringify({ query: 'what is RAG?' });

const post = (headers: Record<string, string>, payload: string | Buffer = body, url = '/api/query') =>
  service!.app.inject({ method: 'POST', url, headers, payload });

async function listening(env: Record<string, string> = {}) {
  service = await startTestApp(env);
  return listenOnLoopback(service.app);
}

const errorFields = ['error', 'message', 'details', 'trace_id'];

const expectError = (response: { statusCode: number; json(): unknown }, status: number, error: string) => {
  expect(response.statusCode).toBe(status);
  const parsed = response.json() as Record<string, unknown>;
  expect(parsed).toMatchObject({ error, message: expect.stringMatching(/\S/) });
  expect(Object.keys(parsed).filter((key) => !errorFields.includes(key))).toEqual([]);
};

describe('content types and encodings', () => {
  it('answers 415 to a compressed body, gzip included, instead of reading it as text', async () => {
    service = await startTestApp();
    for (const [encoding, payload] of [['br', Buffer.from(body)], ['gzip', gzipSync(body)], ['deflate', Buffer.from(body)]] as const) {
      const response = await post({ 'content-type': 'application/json', 'content-encoding': encoding }, payload);
      expectError(response, 415, 'unsupported_media_type');
      expect(response.json()).toMatchObject({ message: expect.stringContaining(`Content-Encoding ${encoding}`) });
    }
    expect((await post({ 'content-type': 'application/json', 'content-encoding': 'identity' })).statusCode).toBe(200);
  });

  it('answers 415 to a charset other than UTF-8, and accepts UTF-8 however it is spelled', async () => {
    service = await startTestApp();
    for (const charset of ['utf-16', 'UTF-16LE', 'iso-8859-1', '"latin1"']) {
      const payload = charset.startsWith('utf-16') || charset.startsWith('UTF-16') ? Buffer.from(body, 'utf16le') : Buffer.from(body, 'latin1');
      const response = await post({ 'content-type': `application/json; charset=${charset}` }, payload);
      expectError(response, 415, 'unsupported_media_type');
    }
    for (const charset of ['utf-8', 'UTF-8', '"utf-8"', 'utf8']) {
      expect((await post({ 'content-type': `application/json; charset=${charset}` })).statusCode, charset).toBe(200);
    }
  });

  it('answers 415 to text/plain and other types, as the README promises', async () => {
    service = await startTestApp();
    for (const type of ['text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'application/xml']) {
      expectError(await post({ 'content-type': type }), 415, 'unsupported_media_type');
    }
  });
});

describe('queries and field sizes', () => {
  it('refuses queries with no letter or digit before any model call', async () => {
    service = await startTestApp({ BODY_LIMIT_BYTES: String(64 * 1024) });
    for (const query of ['\u200b', '\u200b\u200c\u200d\u2060', '?!', '… — …', '\u00a0\u3000', '🙂🙂']) {
      const response = await post({ 'content-type': 'application/json' }, JSON.stringify({ query }));
      expectError(response, 400, 'validation_error');
      expect(response.json()).toMatchObject({ message: expect.stringContaining('letter or digit') });
    }
    expect(await service.metricsText()).not.toMatch(/^llm_requests_total\{[^}]*\} [1-9]/m);
    for (const query of ['RAG?', '¿qué es RAG?', '什么是检索增强生成', '42']) {
      expect((await post({ 'content-type': 'application/json' }, JSON.stringify({ query }))).statusCode, query).toBe(200);
    }
  });

  it('caps the bytes of a field as well as its characters: 4000 emoji are refused, 4000 Cyrillic letters are not', async () => {
    service = await startTestApp({ BODY_LIMIT_BYTES: String(64 * 1024) });
    const emoji = await post({ 'content-type': 'application/json' }, JSON.stringify({ query: `RAG ${'😀'.repeat(3996)}` }));
    expectError(emoji, 400, 'validation_error');
    expect(emoji.json()).toMatchObject({ message: expect.stringContaining('12000 bytes') });
    expect((await post({ 'content-type': 'application/json' }, JSON.stringify({ query: 'ж'.repeat(4000) }))).statusCode).toBe(200);
  });
});

describe('every error in the {error, message} shape', () => {
  it('answers 404 and 405 (with Allow) in JSON', async () => {
    service = await startTestApp();
    expectError(await service.app.inject({ url: '/nope' }), 404, 'not_found');
    const wrongMethod = await service.app.inject({ method: 'GET', url: '/api/query' });
    expectError(wrongMethod, 405, 'method_not_allowed');
    expect(wrongMethod.headers.allow).toBe('POST');
    const deleteHealth = await service.app.inject({ method: 'DELETE', url: '/healthz' });
    expectError(deleteHealth, 405, 'method_not_allowed');
    expect(deleteHealth.headers.allow).toBe('GET, HEAD');
  });

  it('answers requests the HTTP parser refuses with 400, and oversized headers with 431, in JSON', async () => {
    const port = await listening();
    const malformed = await rawRequest(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n');
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.body)).toEqual({ error: 'malformed_request', message: expect.any(String) });
    const oversized = await rawRequest(port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(oversized.status).toBe(431);
    expect(oversized.headers['content-type']).toContain('application/json');
    expect(JSON.parse(oversized.body)).toEqual({ error: 'headers_too_large', message: expect.any(String) });
  });

  it('answers 408 in JSON to a client that stalls its headers past HEADERS_TIMEOUT_MS', async () => {
    const port = await listening({ HEADERS_TIMEOUT_MS: '1000', REQUEST_TIMEOUT_MS: '1000' });
    const stalled = await rawRequest(port, 'POST /api/query HTTP/1.1\r\nHost: x\r\nContent-Type: appl');
    expect(stalled.status).toBe(408);
    expect(JSON.parse(stalled.body)).toEqual({ error: 'request_timeout', message: expect.any(String) });
  });

  it('answers 413 in JSON', async () => {
    service = await startTestApp({ BODY_LIMIT_BYTES: '2048' });
    expectError(await post({ 'content-type': 'application/json' }, JSON.stringify({ query: 'q'.repeat(4000) })), 413, 'payload_too_large');
  });

  it('answers in JSON on the metrics port too', async () => {
    const port = await freePort();
    service = await startTestApp({ METRICS_PORT: String(port), METRICS_TOKEN: 'scrape-secret', HOST: '127.0.0.1' });
    const metricsServer = await startMetricsServer(service.config, service.telemetry);
    try {
      const notFound = await fetch(`http://127.0.0.1:${port}/nope`);
      expect(notFound.status).toBe(404);
      expect(await notFound.json()).toEqual({ error: 'not_found', message: expect.any(String) });
      const refused = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: 'Bearer wrong' } });
      expect(refused.status).toBe(401);
      expect(await refused.json()).toEqual({ error: 'unauthorized', message: expect.any(String) });
      const malformed = await rawRequest(port, 'GET /metrics HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n');
      expect(JSON.parse(malformed.body)).toEqual({ error: 'malformed_request', message: expect.any(String) });
    } finally {
      await metricsServer.close();
    }
  });
});

describe('connections', () => {
  it('accepts no more than MAX_CONNECTIONS sockets at once', async () => {
    const port = await listening({ MAX_CONNECTIONS: '2' });
    const open = (): Promise<Socket> =>
      new Promise((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => resolve(socket));
        socket.on('error', reject);
      });
    const held = [await open(), await open()];
    // Node accepts the third TCP connection, then closes it without a byte.
    const third = await rawRequest(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n').catch((error: Error) => error.message);
    expect(third).toMatch(/no HTTP response, got: ""|ECONNRESET/);
    held[0]?.destroy();
    await new Promise((resolve) => held[0]?.once('close', resolve));
    await expect.poll(async () => (await rawRequest(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).status).toBe(200);
    held[1]?.destroy();
  });
});
