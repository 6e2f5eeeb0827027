import { LangfuseClient } from '@langfuse/client';
import { LangfuseSpanProcessor } from '@langfuse/otel';
import { setLangfuseTracerProvider, startObservation } from '@langfuse/tracing';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLangfuseFake, type LangfuseFake } from './langfuse.js';

const credentials = { publicKey: 'pk-lf-test', secretKey: 'sk-lf-test' };
const basicAuth = `Basic ${Buffer.from('pk-lf-test:sk-lf-test').toString('base64')}`;

let fake: LangfuseFake;
let provider: BasicTracerProvider;

beforeAll(async () => {
  fake = await startLangfuseFake();
  provider = new BasicTracerProvider({
    spanProcessors: [new LangfuseSpanProcessor({ ...credentials, baseUrl: fake.url, exportMode: 'immediate', timeout: 1 })],
  });
  // An isolated provider, as the notes recommend, so nothing touches the global one.
  setLangfuseTracerProvider(provider);
});
afterAll(async () => {
  setLangfuseTracerProvider(null);
  await provider.shutdown();
  await fake.close();
});
beforeEach(() => fake.reset());

function post(path: string, body: unknown, authorization = basicAuth) {
  return fetch(`${fake.url}${path}`, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('Langfuse fake with @langfuse/otel, @langfuse/tracing and @langfuse/client', () => {
  it('receives a generation over OTLP and parses its Langfuse attributes', async () => {
    const root = startObservation('research-request', { input: { query: 'what is RAG?' } });
    const generation = root.startObservation(
      'generate_content gemini-2.5-flash',
      {
        model: 'gemini-2.5-flash',
        input: [{ role: 'user', content: 'what is RAG?' }],
        usageDetails: { input: 1000, input_cached_tokens: 200, output: 300, output_reasoning_tokens: 100 },
        costDetails: { total: 0.0012 },
        prompt: { name: 'answer', version: 3, isFallback: false },
        metadata: { attempt: 1 },
      },
      { asType: 'generation' },
    );
    generation.update({ output: 'RAG grounds answers [1]', level: 'DEFAULT' }).end();
    root.end();
    await provider.forceFlush();

    const { observations } = await fake.waitFor((s) => s.observations.length === 2);
    const llm = observations.find((o) => o.type === 'generation');
    const span = observations.find((o) => o.type === 'span');
    expect(llm).toMatchObject({
      name: 'generate_content gemini-2.5-flash',
      model: 'gemini-2.5-flash',
      input: [{ role: 'user', content: 'what is RAG?' }],
      output: 'RAG grounds answers [1]',
      usageDetails: { input: 1000, input_cached_tokens: 200, output: 300, output_reasoning_tokens: 100 },
      costDetails: { total: 0.0012 },
      promptName: 'answer',
      promptVersion: 3,
      level: 'DEFAULT',
      // The SDK flattens metadata into string attributes.
      metadata: { attempt: '1' },
      traceId: span?.traceId,
      parentObservationId: span?.id,
    });
    expect(span?.input).toEqual({ query: 'what is RAG?' });
    expect(fake.requests[0]?.path).toBe('/api/public/otel/v1/traces');
  });

  it('stores scores sent by LangfuseClient.score.create through the ingestion batch', async () => {
    const langfuse = new LangfuseClient({ ...credentials, baseUrl: fake.url, timeout: 1 });
    langfuse.score.create({ traceId: 'a'.repeat(32), name: 'topic_coverage', value: 0.75, dataType: 'NUMERIC', comment: 'ok' });
    await langfuse.score.flush();

    const { scores } = await fake.waitFor((s) => s.scores.length === 1);
    expect(scores[0]).toMatchObject({ traceId: 'a'.repeat(32), name: 'topic_coverage', value: 0.75, dataType: 'NUMERIC' });
    expect(fake.requests[0]).toMatchObject({ path: '/api/public/ingestion', status: 207 });
    await langfuse.score.shutdown();
  });

  it('rejects legacy ingestion events per event, like a v4 server in events_only mode', async () => {
    const response = await post('/api/public/ingestion', {
      batch: [
        { id: 'e1', type: 'trace-create', timestamp: new Date().toISOString(), body: { id: 't1' } },
        { id: 'e2', type: 'score-create', timestamp: new Date().toISOString(), body: { id: 's1', name: 'n', value: 1 } },
      ],
    });
    expect(response.status).toBe(207);
    const body = (await response.json()) as { successes: unknown[]; errors: unknown[] };
    expect(body.successes).toEqual([{ id: 'e2', status: 201 }]);
    expect(body.errors).toEqual([expect.objectContaining({ id: 'e1', status: 400 })]);
    expect(fake.scores()).toEqual([{ id: 's1', name: 'n', value: 1 }]);
  });

  it('accepts POST /api/public/scores, answers health unauthenticated and 401s bad credentials', async () => {
    const created = await post('/api/public/scores', { traceId: 't', name: 'helpful', value: 1 });
    expect(created.status).toBe(200);
    expect(await created.json()).toEqual({ id: expect.any(String) });

    const health = await fetch(`${fake.url}/api/public/health`);
    expect(await health.json()).toMatchObject({ status: 'OK' });

    const denied = await post('/api/public/scores', { name: 'x', value: 1 }, 'Basic bm9wZTpub3Bl');
    expect(denied.status).toBe(401);
    expect(await denied.json()).toEqual({ message: 'Invalid credentials' });
    expect(fake.scores()).toHaveLength(1);
  });
});
