import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenOnLoopback, startTestApp, type TestApp } from '../helpers/app.js';
import { createPrng } from '../helpers/prng.js';
import { rawRequest } from '../helpers/raw-http.js';
import { generateMalformedHttp } from './malformed-http.js';

// A seeded fuzz run below the router: what Node's HTTP parser refuses still answers in the API's shape.
const seed = 20_261_127;
const requestCount = 140;

let service: TestApp;
let port: number;

beforeAll(async () => {
  service = await startTestApp();
  port = await listenOnLoopback(service.app);
});
afterAll(() => service?.close());

describe(`${requestCount} requests the HTTP parser refuses (seed ${seed})`, () => {
  it('each gets its 400 or 431 with a JSON {error, message}, and the server keeps answering', async () => {
    const outcomes: string[] = [];
    for (const request of generateMalformedHttp(createPrng(seed), requestCount)) {
      const response = await rawRequest(port, request.bytes);
      const parsed = JSON.parse(response.body) as Record<string, unknown>;
      const shapeOk = typeof parsed.error === 'string' && typeof parsed.message === 'string' && Object.keys(parsed).length === 2;
      if (response.status !== request.status || !shapeOk) outcomes.push(`${request.kind}: ${response.status} ${response.body}`);
    }
    expect(outcomes).toEqual([]);
    const health = await rawRequest(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(health.status).toBe(200);
  });
});
