import { LangfuseClient } from '@langfuse/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadPromptFiles } from '../../src/prompts/files.js';
import { pushPrompts } from '../../src/prompts/push.js';
import { pollUntil } from '../fakes/http-fake.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { fakeCredentials, startFakeSinks, type FakeSinks } from '../helpers/fake-sinks.js';
import { metricValue } from '../helpers/metrics-text.js';

// The reasoner's prompt served from LangFuse (the fake, through @langfuse/client), refreshed in the
// background, and replaced by the local file's version when LangFuse cannot serve it.
const ttlSeconds = 30;
const v3System = 'You are a research assistant, version three. Quote the papers as [n].';
let sinks: FakeSinks;
let service: TestApp;
let langfuse: LangfuseClient;

interface Answer {
  metadata: { trace_id: string; prompt: { name: string; version: number; label: string | null } };
}

beforeAll(async () => {
  sinks = await startFakeSinks();
  langfuse = new LangfuseClient({ publicKey: fakeCredentials.langfusePublic, secretKey: fakeCredentials.langfuseSecret, baseUrl: sinks.langfuse.url });
  await pushPrompts(langfuse, loadPromptFiles().values());
  // Only the refresh timer is faked: the exporters keep their real timers.
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  service = await startTestApp({ ...sinks.env, LLM_MAX_RETRIES: '0', PROMPT_CACHE_TTL_SECONDS: String(ttlSeconds) });
});
afterAll(async () => {
  await service?.close();
  await sinks?.close();
  vi.useRealTimers();
});

async function ask(query = 'What are the latest advances in RAG systems?'): Promise<Answer> {
  const response = await service.app.inject({ method: 'POST', url: '/api/query', payload: { query } });
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as Answer;
}
const generationOf = async (traceId: string) =>
  (await sinks.langfuse.waitFor((state) => state.observations.some((o) => o.traceId === traceId && o.type === 'generation'))).observations.find(
    (o) => o.traceId === traceId && o.type === 'generation',
  );
const lastSystemInstruction = () => sinks.gemini.calls.at(-1)?.body.systemInstruction?.parts?.map((part) => part.text).join('');
const fallbacks = async (reason: string) => metricValue(await service.metricsText(), 'prompt_fallback_total', { reason });

describe('prompts served from LangFuse', () => {
  it('is ready only once the prompt is loaded, and links the generation to the production version', async () => {
    const ready = await service.app.inject({ url: '/readyz' });
    expect(ready.json()).toMatchObject({ status: 'ready', checks: { config: true, corpus: true, prompts: true } });
    const answer = await ask();
    expect(answer.metadata.prompt).toEqual({ name: 'research-answer', version: 2, label: 'production' });
    const generation = await generationOf(answer.metadata.trace_id);
    expect(generation).toMatchObject({ promptName: 'research-answer', promptVersion: 2, metadata: { prompt_is_fallback: 'false' } });
    expect(lastSystemInstruction()).toContain('Answer only from the numbered papers provided');
  });

  it('serves a new production version within the TTL plus one refresh, with no restart, and the model receives its text', async () => {
    await langfuse.prompt.create({
      name: 'research-answer',
      type: 'chat',
      prompt: [
        { role: 'system', content: v3System },
        { role: 'user', content: 'Papers:\n{{documents}}\n\nQ: {{query}}' },
      ],
      labels: ['production'],
      config: { temperature: 0.65 },
    });
    // Cached until the TTL: no request waits on LangFuse, and none sees v3 yet.
    const promptFetches = () => sinks.langfuse.requests.filter((request) => request.path.startsWith('/api/public/v2/prompts/')).length;
    const fetchesBefore = promptFetches();
    expect((await ask()).metadata.prompt.version).toBe(2);
    expect(promptFetches()).toBe(fetchesBefore);

    vi.advanceTimersByTime(ttlSeconds * 1000);
    const answer = await pollUntil(() => ask(), (a) => a.metadata.prompt.version === 3, 2000, (a) => JSON.stringify(a.metadata.prompt));
    expect(answer.metadata.prompt).toEqual({ name: 'research-answer', version: 3, label: 'production' });
    expect(promptFetches()).toBe(fetchesBefore + 1);
    expect(lastSystemInstruction()).toBe(v3System);
    // The version's own model parameters travel with it.
    expect(sinks.gemini.calls.at(-1)?.body.generationConfig).toMatchObject({ temperature: 0.65, maxOutputTokens: 1024 });
    expect(sinks.gemini.calls.at(-1)?.body.contents?.[0]?.parts?.[0]?.text).toMatch(/^Papers:\n\[1\] .*\n\nQ: What are the latest advances in RAG systems\?$/s);
    expect(await generationOf(answer.metadata.trace_id)).toMatchObject({ promptVersion: 3 });
  });

  it('answers from the local version while LangFuse is down, says so on the generation and counts it', async () => {
    await sinks.setMode('langfuse', 'down');
    try {
      vi.advanceTimersByTime(ttlSeconds * 1000);
      const answer = await pollUntil(() => ask(), (a) => a.metadata.prompt.version === 2, 5000, (a) => JSON.stringify(a.metadata.prompt));
      expect(answer.metadata.prompt).toEqual({ name: 'research-answer', version: 2, label: 'production' });
      await ask();
      expect(await fallbacks('unavailable')).toBeGreaterThanOrEqual(2);
      // LangFuse is down, so the generation is read where it also goes: the Jaeger copy of the same span.
      const spans = await sinks.otlp.waitForSpans((all) => all.some((s) => s.traceId === answer.metadata.trace_id && s.name.startsWith('generate_content')));
      const generation = spans.find((s) => s.traceId === answer.metadata.trace_id && s.name.startsWith('generate_content'));
      expect(generation?.attributes).toMatchObject({
        'langfuse.observation.prompt.name': 'research-answer',
        'langfuse.observation.prompt.version': 2,
        'langfuse.observation.metadata.prompt_is_fallback': 'true',
      });
      expect(lastSystemInstruction()).toContain('Answer only from the numbered papers provided');
      expect(service.logs.filter((line) => line.event === 'prompt_fallback')).toHaveLength(1);
    } finally {
      await sinks.setMode('langfuse', 'ok');
    }
  });
});
