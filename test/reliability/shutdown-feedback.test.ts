import { afterAll, beforeAll, expect, it } from 'vitest';
import { startLangfuseFake, type LangfuseFake } from '../fakes/langfuse.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

// A user's verdict sent just before SIGTERM, to a LangFuse that takes its time answering scores (slower
// than it takes traces): shutdown must wait for the score, within its budget, rather than drop it.
const scoreDelayMs = 1500;

let langfuse: LangfuseFake;
let service: TestApp;

beforeAll(async () => {
  langfuse = await startLangfuseFake();
  service = await startTestApp({
    LANGFUSE_PUBLIC_KEY: 'pk-lf-test',
    LANGFUSE_SECRET_KEY: 'sk-lf-test',
    LANGFUSE_BASE_URL: langfuse.url,
    TELEMETRY_EXPORT_TIMEOUT_MS: '5000',
  });
});
afterAll(() => langfuse?.close());

it('delivers feedback sent just before shutdown to a slow LangFuse', async () => {
  const answer = await service.app.inject({ method: 'POST', url: '/api/query', payload: { query: 'What is RAG?', user_id: 'user-9' } });
  const { trace_id, feedback_token } = (answer.json() as { metadata: { trace_id: string; feedback_token: string } }).metadata;
  langfuse.setDelay(scoreDelayMs, '/api/public/ingestion');
  const feedback = await service.app.inject({
    method: 'POST',
    url: '/api/feedback',
    payload: { trace_id, is_helpful: false, user_id: 'user-9', feedback_token },
  });
  expect(feedback.statusCode).toBe(200);
  expect(langfuse.scores()).toEqual([]);

  await service.close();

  expect(langfuse.scores()).toEqual([expect.objectContaining({ traceId: trace_id, name: 'user-feedback', value: 0 })]);
});
