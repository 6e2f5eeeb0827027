import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartedTelemetry } from '../../src/telemetry/index.js';
import { startGeminiFake, type GeminiFake } from '../fakes/gemini.js';
import { startLangSmithFake, type LangSmithFake, type LangSmithRun } from '../fakes/langsmith.js';
import { startTestApp } from '../helpers/app.js';
import { metricValue } from '../helpers/metrics-text.js';
import { geminiWithLangSmithEnv, issueUsageMetadata } from './langsmith-fixtures.js';

// The service with LangSmith tracing on, against the LangSmith and Gemini fakes. Usage follows the core
// issue: prompt 1200 tokens (200 cached), candidates 300, thoughts 100.
const apiKey = 'ls-app-key';
const project = 'researcherai-test';
const query = 'What are the latest advances in RAG systems?';

let gemini: GeminiFake;
let langsmith: LangSmithFake;
let telemetry: StartedTelemetry;
let app: FastifyInstance;

beforeAll(async () => {
  [gemini, langsmith] = await Promise.all([startGeminiFake({ modelVersion: 'gemini-2.5-flash' }), startLangSmithFake({ apiKey })]);
  const service = await startTestApp({
    LOG_LEVEL: 'silent',
    APP_ENV: 'production',
    ...geminiWithLangSmithEnv(gemini.url, langsmith.url, apiKey),
    LANGSMITH_PROJECT: project,
  });
  telemetry = service.telemetry;
  app = service.app;
});

afterAll(async () => {
  await Promise.all([gemini?.close(), langsmith?.close()]);
});

async function ask(payload: Record<string, unknown>) {
  const response = await app.inject({ method: 'POST', url: '/api/query', payload });
  return { status: response.statusCode, body: response.json() as { metadata: { trace_id: string; feedback_token: string } } & Record<string, unknown> };
}

/** The runs of the trace whose root carries `otelTraceId`, once all `count` of them have arrived. */
async function traceRuns(otelTraceId: string, count = 4): Promise<LangSmithRun[]> {
  const inTrace = (runs: LangSmithRun[]) => {
    const root = runs.find((run) => metadataOf(run).otel_trace_id === otelTraceId);
    return root ? runs.filter((run) => run.trace_id === root.id) : [];
  };
  return inTrace(await langsmith.waitForRuns((runs) => inTrace(runs).length === count, 5000));
}

const metadataOf = (run: LangSmithRun) => (run.extra?.metadata ?? {}) as Record<string, unknown>;
const named = (runs: LangSmithRun[], name: string) => runs.find((run) => run.name === name) as LangSmithRun;

describe('LangSmith tracing of a research query', () => {
  let body: Awaited<ReturnType<typeof ask>>['body'];
  let runs: LangSmithRun[];

  beforeAll(async () => {
    const response = await ask({ query, user_id: 'user-1', session_id: 'session-1' });
    expect(response.status).toBe(200);
    body = response.body;
    runs = await traceRuns(body.metadata.trace_id);
  });

  it('is one orchestrator root with retriever and reasoner children and the llm run under the reasoner', () => {
    const root = named(runs, 'orchestrator');
    const retriever = named(runs, 'retriever');
    const reasoner = named(runs, 'reasoner');
    const llm = runs.find((run) => run.run_type === 'llm') as LangSmithRun;
    expect(root).toMatchObject({ run_type: 'chain', session_name: project });
    expect(root.parent_run_id).toBeUndefined();
    expect(retriever).toMatchObject({ run_type: 'retriever', parent_run_id: root.id });
    expect(reasoner).toMatchObject({ run_type: 'chain', parent_run_id: root.id });
    expect(llm).toMatchObject({ parent_run_id: reasoner.id });
    for (const run of runs) {
      expect(run.trace_id).toBe(root.id);
      expect(run.end_time).toBeGreaterThanOrEqual(run.start_time ?? Infinity);
    }
    expect(llm.dotted_order?.split('.')).toHaveLength(3);
    expect(llm.dotted_order?.startsWith(`${reasoner.dotted_order}.`)).toBe(true);
  });

  it('puts tags, user, session, query type, model, prompt version and the OTel trace id on the root', () => {
    const root = named(runs, 'orchestrator');
    expect(root.tags).toEqual(expect.arrayContaining(['production', 'research-query']));
    expect(root.extra?.metadata).toMatchObject({
      otel_trace_id: body.metadata.trace_id,
      user_id: 'user-1',
      session_id: 'session-1',
      query_type: 'survey',
      model: 'gemini-2.5-flash',
      prompt_version: 2,
    });
    expect(root.inputs).toEqual({ query, top_k: 5 });
    expect(root.outputs).toMatchObject({ answer: expect.any(String) });
  });

  it('gives the retriever its documents as output', () => {
    const documents = named(runs, 'retriever').outputs?.documents as Array<{ metadata: { id: string } }>;
    expect(documents.map((document) => document.metadata.id)).toEqual((body.sources as Array<{ id: string }>).map((source) => source.id));
  });

  it('reports the model call with thinking as output tokens and cache reads as input details', () => {
    const llm = runs.find((run) => run.run_type === 'llm') as LangSmithRun;
    const usage = issueUsageMetadata;
    expect(llm.extra?.metadata).toMatchObject({ ls_provider: 'google', ls_model_name: 'gemini-2.5-flash', usage_metadata: usage });
    expect(llm.outputs).toMatchObject({ role: 'assistant', content: expect.any(String), usage_metadata: usage });
    expect((llm.inputs?.messages as Array<{ role: string }>).map((message) => message.role)).toEqual(['system', 'user']);
  });
});

describe('LangSmith tracing of a failed query', () => {
  it('records the error on the llm run, the reasoner and the root', async () => {
    gemini.enqueue({ kind: 'error', status: 400 });
    const response = await app.inject({ method: 'POST', url: '/api/query', payload: { query } });
    expect(response.statusCode).toBeGreaterThanOrEqual(400);
    const failed = await traceRuns((response.json() as { trace_id: string }).trace_id);
    const llm = failed.find((run) => run.run_type === 'llm') as LangSmithRun;
    expect(llm.error).toMatch(/^client_error: /);
    expect(llm.outputs ?? undefined).toBeUndefined();
    expect(named(failed, 'reasoner').error).toBe(named(failed, 'orchestrator').error);
    expect(named(failed, 'orchestrator').error).toEqual(expect.any(String));
  });
});

describe('feedback and shutdown', () => {
  it('records user feedback on the root run', async () => {
    const { body } = await ask({ query, user_id: 'user-2' });
    const [root] = (await traceRuns(body.metadata.trace_id)).filter((run) => run.name === 'orchestrator');
    const response = await app.inject({
      method: 'POST',
      url: '/api/feedback',
      payload: { trace_id: body.metadata.trace_id, is_helpful: true, comment: 'useful', user_id: 'user-2', feedback_token: body.metadata.feedback_token },
    });
    expect(response.statusCode).toBe(200);
    await expect
      .poll(() => langsmith.feedback().find((feedback) => feedback.run_id === root?.id), { timeout: 3000 })
      .toMatchObject({ key: 'user-feedback', score: 1, comment: 'useful' });
  });

  it('loses nothing on a clean shutdown', async () => {
    const before = langsmith.runs().length;
    const responses = await Promise.all(Array.from({ length: 30 }, (_, index) => ask({ query: `${query} (${index})` })));
    expect(responses.every((response) => response.status === 200)).toBe(true);
    await app.close();
    await telemetry.shutdown(5000);
    // Read after the flush, so that a run dropped or failed during shutdown shows here too.
    const metrics = await telemetry.metrics.plainTextRegistry.metrics();

    const traced = new Set(langsmith.runs().map((run) => metadataOf(run).otel_trace_id));
    for (const { body } of responses) expect(traced.has(body.metadata.trace_id)).toBe(true);
    expect(langsmith.runs().length - before).toBe(30 * 4);
    expect(langsmith.runs().every((run) => run.end_time !== undefined)).toBe(true);
    expect(metricValue(metrics, 'telemetry_dropped_total', { sink: 'langsmith' })).toBe(0);
    expect(metricValue(metrics, 'telemetry_export_failures_total', { sink: 'langsmith' })).toBe(0);
  });
});
