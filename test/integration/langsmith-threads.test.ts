import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp } from '../helpers/app.js';
import { startGeminiFake, type GeminiFake } from '../fakes/gemini.js';
import { startLangSmithFake, type LangSmithFake, type LangSmithRun } from '../fakes/langsmith.js';
import { geminiWithLangSmithEnv, issueLlmRunUsage } from '../telemetry/langsmith-fixtures.js';

// One query with a session id, through the whole service, to a LangSmith fake with the multipart endpoint
// and to one without it (older servers answer 404 there). Usage as in the core issue: prompt 1200 (200
// cached), candidates 300, thoughts 100, on gemini-2.5-flash.
const apiKey = 'ls-threads-key';
const llmUsage = issueLlmRunUsage;

let gemini: GeminiFake;
beforeAll(async () => {
  gemini = await startGeminiFake({ apiKey: 'test-key', modelVersion: 'gemini-2.5-flash' });
});
afterAll(() => gemini?.close());

async function traceOfOneQuery(langsmith: LangSmithFake): Promise<LangSmithRun[]> {
  const service = await startTestApp({ LOG_LEVEL: 'silent', ...geminiWithLangSmithEnv(gemini.url, langsmith.url, apiKey) });
  const response = await service.app.inject({ method: 'POST', url: '/api/query', payload: { query: 'What are the latest advances in RAG systems?', user_id: 'user-1', session_id: 'thread-42' } });
  expect(response.statusCode, response.body).toBe(200);
  await service.close();
  return langsmith.runs();
}

const metadataOf = (run: LangSmithRun | undefined) => (run?.extra?.metadata ?? {}) as Record<string, unknown>;
const ingestRequests = (langsmith: LangSmithFake) =>
  langsmith.requests.filter((request) => request.path.startsWith('/runs')).map((request) => `${request.method} ${request.path} ${request.status}`);

describe.each([
  { server: 'with /runs/multipart', multipart: true, requests: ['POST /runs/multipart 202'] },
  { server: 'answering 404 on /runs/multipart', multipart: false, requests: ['POST /runs/multipart 404', 'POST /runs/batch 202'] },
])('one query with a session id, LangSmith $server', ({ multipart, requests }) => {
  let langsmith: LangSmithFake;
  let runs: LangSmithRun[];
  beforeAll(async () => {
    langsmith = await startLangSmithFake({ apiKey, multipart });
    runs = await traceOfOneQuery(langsmith);
  }, 30_000);
  afterAll(() => langsmith?.close());

  it('puts the thread id in the metadata of every run of the trace, so thread totals include the llm run', () => {
    expect(runs.map((run) => run.name).sort()).toEqual(['generate_content gemini-2.5-flash', 'orchestrator', 'reasoner', 'retriever']);
    for (const run of runs) expect(metadataOf(run).session_id, run.name).toBe('thread-42');
  });

  it('keeps the llm run usage and cost', () => {
    const llm = runs.find((run) => run.run_type === 'llm');
    expect(metadataOf(llm).usage_metadata).toEqual(llmUsage);
    expect(llm?.outputs?.usage_metadata).toEqual(llmUsage);
  });

  it(`arrives through ${requests.at(-1)}`, () => {
    expect(ingestRequests(langsmith)).toEqual(requests);
  });
});
