import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { metricValue } from '../helpers/metrics-text.js';

// api.test.ts covers the token of another trace or user and a missing token; these are the forgeries.
const started: TestApp[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((service) => service.close()));
});

async function start(env: Record<string, string> = {}) {
  const service = await startTestApp(env);
  started.push(service);
  return service;
}

async function answer(service: TestApp, userId = 'alice') {
  const response = await service.app.inject({ method: 'POST', url: '/api/query', payload: { query: 'what is RAG?', user_id: userId } });
  return (response.json() as { metadata: { trace_id: string; feedback_token: string } }).metadata;
}

const sendFeedback = (service: TestApp, traceId: string, token: string, userId = 'alice') =>
  service.app.inject({
    method: 'POST',
    url: '/api/feedback',
    payload: { trace_id: traceId, is_helpful: false, user_id: userId, feedback_token: token },
  });

describe('feedback tokens', () => {
  it('refuses forged tokens with 403 and records nothing for them', async () => {
    const service = await start({ FEEDBACK_SECRET: 'the-real-secret' });
    const { trace_id: traceId, feedback_token: token } = await answer(service);
    const signedWith = (secret: string) => createHmac('sha256', secret).update(`${traceId}\u0000alice`).digest('base64url');
    const forgeries = [
      'x'.repeat(token.length),
      token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A'),
      signedWith('a-guessed-secret'),
      createHmac('sha256', 'the-real-secret').update(traceId).digest('base64url'),
      Buffer.from(token, 'base64url').toString('hex'),
    ];
    for (const forged of forgeries) {
      const response = await sendFeedback(service, traceId, forged);
      expect(response.statusCode, forged).toBe(403);
      expect(response.json()).toMatchObject({ error: 'invalid_feedback_token', message: expect.any(String) });
    }
    expect(metricValue(await service.metricsText(), 'feedback_total')).toBe(0);
    expect((await sendFeedback(service, traceId, token)).statusCode).toBe(200);
  });

  it('binds tokens to the issuing process unless FEEDBACK_SECRET is shared between replicas', async () => {
    const issuer = await start();
    const { trace_id: traceId, feedback_token: token } = await answer(issuer);
    const otherProcess = await start();
    expect((await sendFeedback(otherProcess, traceId, token)).statusCode).toBe(403);

    const sharedA = await start({ FEEDBACK_SECRET: 'shared-between-replicas' });
    const sharedB = await start({ FEEDBACK_SECRET: 'shared-between-replicas' });
    const issued = await answer(sharedA);
    expect((await sendFeedback(sharedB, issued.trace_id, issued.feedback_token)).statusCode).toBe(200);
  });
});
