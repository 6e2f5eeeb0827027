import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startLangfuseFake, type LangfuseFake } from '../fakes/langfuse.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { fakeCredentials } from '../helpers/fake-sinks.js';
import { metricValue } from '../helpers/metrics-text.js';

// The attacks on feedback: scoring someone else's answer through traceparent, replaying one
// token, and tokens that never expire.
let langfuse: LangfuseFake;
let service: TestApp | undefined;

beforeAll(async () => {
  langfuse = await startLangfuseFake({ publicKey: fakeCredentials.langfusePublic, secretKey: fakeCredentials.langfuseSecret });
});
afterEach(async () => {
  vi.useRealTimers();
  await service?.close();
  service = undefined;
});
afterAll(() => langfuse?.close());

async function start(env: Record<string, string> = {}) {
  service = await startTestApp({
    LANGFUSE_PUBLIC_KEY: fakeCredentials.langfusePublic,
    LANGFUSE_SECRET_KEY: fakeCredentials.langfuseSecret,
    LANGFUSE_BASE_URL: langfuse.url,
    ...env,
  });
  return service;
}

interface Answer {
  trace_id: string;
  feedback_token: string;
}

async function ask(options: { userId?: string; key?: string; traceparent?: string } = {}) {
  const headers: Record<string, string> = {};
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  if (options.traceparent) headers.traceparent = options.traceparent;
  const response = await service!.app.inject({
    method: 'POST',
    url: '/api/query',
    headers,
    payload: { query: 'what is RAG?', ...(options.userId ? { user_id: options.userId } : {}) },
  });
  expect(response.statusCode, response.body).toBe(200);
  return { response, metadata: (response.json() as { metadata: Answer }).metadata };
}

const vote = (answer: Answer, helpful: boolean, options: { userId?: string; key?: string } = {}) =>
  service!.app.inject({
    method: 'POST',
    url: '/api/feedback',
    headers: options.key ? { authorization: `Bearer ${options.key}` } : {},
    payload: { trace_id: answer.trace_id, feedback_token: answer.feedback_token, is_helpful: helpful, ...(options.userId ? { user_id: options.userId } : {}) },
  });

const scoresOf = (traceId: string) => langfuse.scores().filter((score) => score.traceId === traceId);

describe('the answer identity is the server’s', () => {
  it('ignores an incoming traceparent, so a token for the victim’s trace cannot be obtained', async () => {
    await start();
    const victim = (await ask({ userId: 'victim' })).metadata;
    const attacker = (await ask({ userId: 'victim', traceparent: `00-${victim.trace_id}-00f067aa0ba902b7-01` })).metadata;
    expect(attacker.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(attacker.trace_id).not.toBe(victim.trace_id);
    const forged = await vote({ trace_id: victim.trace_id, feedback_token: attacker.feedback_token }, false, { userId: 'victim' });
    expect(forged.statusCode).toBe(403);
    expect(forged.json()).toMatchObject({ error: 'invalid_feedback_token' });
    expect(metricValue(await service!.metricsText(), 'feedback_total')).toBe(0);
  });

  it('binds the token to the caller: another API key cannot use it, even naming the same user', async () => {
    await start({ API_KEYS: 'asker:key-a,other:key-b' });
    const answer = (await ask({ userId: 'u1', key: 'key-a' })).metadata;
    expect((await vote(answer, true, { userId: 'u1', key: 'key-b' })).statusCode).toBe(403);
    expect((await vote(answer, true, { userId: 'u1', key: 'key-a' })).statusCode).toBe(200);
  });
});

describe('one verdict per answer and user', () => {
  it('turns 20 sends of one token into one LangFuse score, updated in place, and one count', async () => {
    await start();
    const answer = (await ask({ userId: 'alice' })).metadata;
    const outcomes: string[] = [];
    for (let i = 0; i < 20; i += 1) {
      const response = await vote(answer, i === 19, { userId: 'alice' });
      expect(response.statusCode, response.body).toBe(200);
      outcomes.push((response.json() as { vote: string }).vote);
    }
    expect(outcomes).toEqual(['new', ...Array.from({ length: 19 }, () => 'replaced')]);
    const metrics = await service!.metricsText();
    expect(metricValue(metrics, 'feedback_total', { helpful: 'false' })).toBe(1);
    expect(metricValue(metrics, 'feedback_total', { helpful: 'true' })).toBe(0);
    await service!.close();
    service = undefined;
    // The last verdict (helpful) is the one LangFuse keeps.
    expect(scoresOf(answer.trace_id)).toEqual([expect.objectContaining({ name: 'user-feedback', value: 1, dataType: 'BOOLEAN' })]);
  });

  it('keeps separate verdicts for separate users of one answer', async () => {
    await start({ TRUST_TRACEPARENT: 'true' });
    const first = (await ask({ userId: 'bob' })).metadata;
    // A trusted hop may run a second user's request under the same trace.
    const second = (await ask({ userId: 'carol', traceparent: `00-${first.trace_id}-00f067aa0ba902b7-01` })).metadata;
    expect(second.trace_id).toBe(first.trace_id);
    expect((await vote(first, true, { userId: 'bob' })).json()).toMatchObject({ vote: 'new' });
    expect((await vote(second, false, { userId: 'carol' })).json()).toMatchObject({ vote: 'new' });
    expect(metricValue(await service!.metricsText(), 'feedback_total')).toBe(2);
    await service!.close();
    service = undefined;
    expect(scoresOf(first.trace_id).map((score) => score.value).sort()).toEqual([0, 1]);
  });
});

describe('token lifetime (FEEDBACK_TOKEN_TTL_SECONDS)', () => {
  it('accepts a token until it expires and refuses it with 403 afterwards', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-27T12:00:00Z'));
    await start({ FEEDBACK_TOKEN_TTL_SECONDS: '600' });
    const answer = (await ask({ userId: 'dave' })).metadata;
    vi.setSystemTime(new Date('2026-11-27T12:09:59Z'));
    expect((await vote(answer, true, { userId: 'dave' })).statusCode).toBe(200);
    vi.setSystemTime(new Date('2026-11-27T12:10:00Z'));
    const expired = await vote(answer, false, { userId: 'dave' });
    expect(expired.statusCode).toBe(403);
    expect(expired.json()).toMatchObject({ error: 'expired_feedback_token', message: expect.stringContaining('expired') });
  });

  it('defaults to 7 days', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-01T00:00:00Z'));
    await start();
    const answer = (await ask()).metadata;
    vi.setSystemTime(new Date('2026-11-07T23:59:59Z'));
    expect((await vote(answer, true)).statusCode).toBe(200);
    vi.setSystemTime(new Date('2026-11-08T00:00:00Z'));
    expect((await vote(answer, true)).statusCode).toBe(403);
  });
});

describe('caching', () => {
  it('marks every answer carrying a feedback token Cache-Control: no-store', async () => {
    await start();
    const { response } = await ask({ userId: 'erin' });
    expect(response.headers['cache-control']).toBe('no-store');
  });
});
