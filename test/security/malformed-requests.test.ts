import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createPrng } from '../helpers/prng.js';
import { watchUnhandledRejections } from '../helpers/unhandled-rejections.js';
import { generateMalformedRequests, type MalformedRequest } from './malformed-requests.js';

// A seeded fuzz run: change the seed to explore, keep it fixed so a failure replays.
const seed = 20_261_126;
const requestCount = 1200;
const bodyLimit = 8192;

let service: TestApp;
const rejections = watchUnhandledRejections();

beforeAll(async () => {
  service = await startTestApp({ BODY_LIMIT_BYTES: String(bodyLimit) });
});
afterAll(async () => {
  rejections.stop();
  await service?.close();
});

const send = (request: Pick<MalformedRequest, 'route' | 'headers' | 'payload'>) =>
  service.app.inject({ method: 'POST', url: request.route, headers: request.headers, payload: request.payload });

describe(`${requestCount} malformed requests to /api/query and /api/feedback (seed ${seed})`, () => {
  it('are all refused with a 4xx and a JSON {error, message}; none is a 5xx', async () => {
    const outcomes: Array<{ kind: string; status: number; body: string }> = [];
    for (const request of generateMalformedRequests(createPrng(seed), requestCount)) {
      const response = await send(request);
      outcomes.push({ kind: request.kind, status: response.statusCode, body: response.body });
    }
    const accepted = outcomes.filter(({ status }) => status < 400 || status >= 500);
    expect(accepted.slice(0, 5)).toEqual([]);
    for (const { kind, body } of outcomes) {
      const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
      expect(typeof parsed.error, `${kind}: ${body}`).toBe('string');
      expect(parsed.message, `${kind}: ${body}`).toEqual(expect.stringMatching(/\S/));
    }
    const statusesOf = (kind: string) => new Set(outcomes.filter((outcome) => outcome.kind === kind).map(({ status }) => status));
    expect(new Set(outcomes.map(({ kind }) => kind)).size).toBe(11);
    expect(statusesOf('invalid UTF-8')).toEqual(new Set([400]));
    expect(statusesOf('wrong content type')).toEqual(new Set([415]));
    expect(statusesOf('foreign charset or encoding')).toEqual(new Set([415]));
    expect(statusesOf('prototype pollution keys')).toEqual(new Set([400]));
  });

  it('left the process healthy: no prototype pollution, no unhandled rejection, and valid queries still answered', async () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(rejections.seen).toEqual([]);
    const response = await send({ route: '/api/query', headers: { 'content-type': 'application/json' }, payload: '{"query":"what is RAG?"}' });
    expect(response.statusCode).toBe(200);
  });

  it('answers 413 to a body over BODY_LIMIT_BYTES, whatever it contains', async () => {
    for (const size of [bodyLimit + 1, bodyLimit * 4]) {
      const response = await send({
        route: '/api/query',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ query: 'q'.repeat(size) }),
      });
      expect(response.statusCode).toBe(413);
      expect(response.json()).toMatchObject({ error: 'payload_too_large', message: expect.any(String) });
    }
  });

  it('refuses invalid UTF-8 rather than decoding it into replacement characters', async () => {
    const payload = Buffer.concat([Buffer.from('{"query":"what is '), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const response = await send({ route: '/api/query', headers: { 'content-type': 'application/json' }, payload });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ message: 'request body is not valid UTF-8' });
  });
});
