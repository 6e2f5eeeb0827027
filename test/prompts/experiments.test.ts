import { LangfuseClient } from '@langfuse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPromptFiles } from '../../src/prompts/files.js';
import { pushPrompts } from '../../src/prompts/push.js';
import type { LangSmithRun } from '../fakes/langsmith-store.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { fakeCredentials, startFakeSinks, type FakeSinks } from '../helpers/fake-sinks.js';
import { metricValue, parseSamples } from '../helpers/metrics-text.js';

// PROMPT_VARIANTS=production:50,candidate:50 with version 2 labelled production and version 1 labelled
// candidate in LangFuse: 40 users, three queries each.
const users = Array.from({ length: 40 }, (_, index) => `user-${index}`);
const experiment = 'research-answer:production=50,candidate=50';
let sinks: FakeSinks;
let service: TestApp;
const answers = new Map<string, Array<{ trace_id: string; feedback_token: string; prompt: { name: string; version: number; label: string } }>>();

beforeAll(async () => {
  sinks = await startFakeSinks();
  const langfuse = new LangfuseClient({ publicKey: fakeCredentials.langfusePublic, secretKey: fakeCredentials.langfuseSecret, baseUrl: sinks.langfuse.url });
  await pushPrompts(langfuse, loadPromptFiles().values());
  await langfuse.prompt.update({ name: 'research-answer', version: 1, newLabels: ['candidate'] });
  service = await startTestApp({ ...sinks.telemetryEnv, PROMPT_VARIANTS: 'production:50,candidate:50' });
  for (const user of users) {
    for (let round = 0; round < 3; round += 1) {
      const response = await service.app.inject({ method: 'POST', url: '/api/query', payload: { query: `What is dense retrieval? (${round})`, user_id: user } });
      expect(response.statusCode, response.body).toBe(200);
      answers.set(user, [...(answers.get(user) ?? []), (response.json() as { metadata: never }).metadata]);
    }
  }
}, 60_000);
afterAll(async () => {
  await service?.close();
  await sinks?.close();
});

const variantOf = (user: string) => answers.get(user)?.[0]?.prompt.label;
const metadataOf = (run: LangSmithRun) => (run.extra as { metadata?: Record<string, unknown> } | undefined)?.metadata;

describe('A/B experiment with sticky variants', () => {
  it('spreads 40 users over both variants, at least 10 each, and names the variant in metadata.prompt', () => {
    const byLabel = { production: 0, candidate: 0 };
    for (const user of users) byLabel[variantOf(user) as keyof typeof byLabel] += 1;
    expect(byLabel.production).toBeGreaterThanOrEqual(10);
    expect(byLabel.candidate).toBeGreaterThanOrEqual(10);
    expect(byLabel.production + byLabel.candidate).toBe(40);
    for (const user of users) {
      const { prompt } = answers.get(user)?.[0] ?? {};
      expect(prompt).toEqual(
        prompt?.label === 'production' ? { name: 'research-answer', version: 2, label: 'production' } : { name: 'research-answer', version: 1, label: 'candidate' },
      );
    }
  });

  it('gives every user the same variant on every query', () => {
    for (const user of users) {
      expect(new Set(answers.get(user)?.map((answer) => `${answer.prompt.label}@${answer.prompt.version}`)), user).toHaveProperty('size', 1);
    }
  });

  it('puts the experiment and the variant on the LangFuse trace and the LangSmith root run, and links the generation', async () => {
    const [user] = users as [string];
    const traceId = answers.get(user)?.[0]?.trace_id as string;
    const { observations } = await sinks.langfuse.waitFor((state) => state.observations.filter((o) => o.traceId === traceId).length >= 2, 5000);
    const root = observations.find((o) => o.traceId === traceId && o.attributes['langfuse.trace.name'] === 'research-query');
    expect(root?.attributes).toMatchObject({ 'langfuse.trace.metadata.experiment': experiment, 'langfuse.trace.metadata.variant': variantOf(user) });
    const generation = observations.find((o) => o.traceId === traceId && o.type === 'generation');
    expect(generation).toMatchObject({ promptName: 'research-answer', promptVersion: variantOf(user) === 'production' ? 2 : 1 });

    const runs = await sinks.langsmith.waitForRuns((all) => all.some((run) => metadataOf(run)?.otel_trace_id === traceId), 5000);
    const rootRun = runs.find((run) => metadataOf(run)?.otel_trace_id === traceId);
    expect(rootRun && metadataOf(rootRun)).toMatchObject({ experiment, variant: variantOf(user), prompt_version: variantOf(user) === 'production' ? 2 : 1 });
  });

  it('labels query duration and feedback by the prompt version that answered', async () => {
    const candidateUser = users.find((user) => variantOf(user) === 'candidate') as string;
    const answer = answers.get(candidateUser)?.[0];
    const feedback = await service.app.inject({
      method: 'POST',
      url: '/api/feedback',
      payload: { trace_id: answer?.trace_id, is_helpful: true, user_id: candidateUser, feedback_token: answer?.feedback_token },
    });
    expect(feedback.statusCode, feedback.body).toBe(200);
    const text = await service.metricsText();
    expect(metricValue(text, 'feedback_total', { helpful: 'true', prompt_version: '1' })).toBe(1);
    // Both versions' series exist from start-up, so the first verdict on each is counted by increase().
    expect(text).toContain('feedback_total{helpful="false",prompt_version="2"} 0');
    expect(text).toContain('feedback_total{helpful="true",prompt_version="2"} 0');
    const candidates = users.filter((user) => variantOf(user) === 'candidate').length;
    expect(metricValue(text, 'query_duration_seconds_count', { prompt_version: '1' })).toBe(candidates * 3);
    expect(metricValue(text, 'query_duration_seconds_count', { prompt_version: '2' })).toBe((40 - candidates) * 3);
    const versions = new Set(parseSamples(text).filter((s) => s.name.startsWith('query_duration_seconds')).map((s) => s.labels.prompt_version));
    expect(versions).toEqual(new Set(['1', '2']));
  });
});
