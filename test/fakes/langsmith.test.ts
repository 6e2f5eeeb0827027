import { Client } from 'langsmith';
import { evaluate } from 'langsmith/evaluation';
import type { Example } from 'langsmith/schemas';
import { traceable } from 'langsmith/traceable';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLangSmithFake, type LangSmithFake } from './langsmith.js';

const API_KEY = 'ls-test-key';

let fake: LangSmithFake;

beforeAll(async () => {
  fake = await startLangSmithFake();
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

function client(url = fake.url, options: { autoBatchTracing?: boolean; apiKey?: string } = {}) {
  // Explicit apiUrl/apiKey so nothing falls back to env or ~/.langsmith; no retries to stay fast.
  return new Client({
    apiUrl: url,
    apiKey: options.apiKey ?? API_KEY,
    autoBatchTracing: options.autoBatchTracing,
    callerOptions: { maxRetries: 0 },
    timeout_ms: 2000,
  });
}

/** A root chain with one llm child, traced into project `fake-test`. */
async function traceResearch(ls: Client): Promise<void> {
  const answer = traceable(async (question: string) => ({ role: 'assistant', content: `about ${question} [1]` }), {
    name: 'gemini', run_type: 'llm', client: ls, tracingEnabled: true, project_name: 'fake-test',
  });
  const research = traceable(async (input: { query: string }) => answer(input.query), {
    name: 'research', client: ls, tracingEnabled: true, project_name: 'fake-test', metadata: { request_id: 'r1' },
  });
  await research({ query: 'RAG' });
  await ls.awaitPendingTraceBatches();
}

async function expectTracedRuns(fake: LangSmithFake): Promise<void> {
  // Without auto-batching the SDK does not await the end-of-run PATCH, so wait for both ends.
  const runs = await fake.waitForRuns((all) => all.filter((r) => r.end_time !== undefined).length === 2);
  const root = runs.find((r) => r.name === 'research');
  const child = runs.find((r) => r.name === 'gemini');
  expect(root).toMatchObject({ run_type: 'chain', inputs: { query: 'RAG' }, session_name: 'fake-test' });
  expect(root?.extra?.metadata).toMatchObject({ request_id: 'r1' });
  expect(root?.outputs).toMatchObject({ content: 'about RAG [1]' });
  expect(child).toMatchObject({ run_type: 'llm', parent_run_id: root?.id, trace_id: root?.id });
  for (const run of [root, child]) {
    expect(run?.start_time).toEqual(expect.any(Number));
    expect(run?.end_time).toBeGreaterThanOrEqual(run?.start_time ?? Infinity);
  }
}

function unhandled(fake: LangSmithFake): string[] {
  return fake.requests.filter((r) => (r.status ?? 0) >= 400).map((r) => `${r.method} ${r.path} → ${r.status}`);
}

describe('LangSmith fake with the langsmith SDK', () => {
  it('merges traceable runs sent through /runs/multipart', async () => {
    await traceResearch(client());
    await expectTracedRuns(fake);
    expect(fake.requests.some((r) => r.path === '/runs/multipart')).toBe(true);
    expect(fake.sessions().map((s) => s.name)).toEqual(['fake-test']);
    expect(unhandled(fake)).toEqual([]);
  });

  it('refuses a multipart part without its length in bytes, or with a wrong one, and stores nothing of it', async () => {
    const boundary = '----TestBoundary';
    const part = (length: number | undefined) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="post.01a219e4-62d8-7d6e-ba3e-83dfe11b270e"\r\nContent-Type: application/json${length === undefined ? '' : `; length=${length}`}\r\n\r\n{"name":"é"}\r\n--${boundary}--\r\n`;
    const post = (length: number | undefined) =>
      fetch(`${fake.url}/runs/multipart`, {
        method: 'POST',
        headers: { 'x-api-key': API_KEY, 'content-type': `multipart/form-data; boundary=${boundary}` },
        body: part(length),
      });
    // 12 characters, 13 bytes: the length is in bytes.
    expect((await post(12)).status).toBe(422);
    expect((await post(undefined)).status).toBe(422);
    expect(fake.runs()).toEqual([]);
    expect((await post(13)).status).toBe(202);
    expect(fake.runs().map((run) => run.name)).toEqual(['é']);
  });

  it('falls back to /runs/batch when /info disables multipart', async () => {
    const legacy = await startLangSmithFake({ multipart: false });
    try {
      await traceResearch(client(legacy.url));
      await expectTracedRuns(legacy);
      expect(legacy.requests.some((r) => r.path === '/runs/batch')).toBe(true);
      expect(unhandled(legacy)).toEqual([]);
    } finally {
      await legacy.close();
    }
  });

  it('merges POST /runs and PATCH /runs/:id without auto-batching', async () => {
    await traceResearch(client(fake.url, { autoBatchTracing: false }));
    await expectTracedRuns(fake);
    expect(fake.requests.some((r) => r.method === 'PATCH' && r.path.startsWith('/runs/'))).toBe(true);
  });

  it('serves datasets, examples, an evaluate() experiment and its feedback', async () => {
    const ls = client();
    const datasetName = 'fake-eval';
    expect(await ls.hasDataset({ datasetName })).toBe(false);
    const dataset = await ls.createDataset(datasetName, { description: 'fake' });
    await ls.createExamples([
      { dataset_id: dataset.id, inputs: { query: 'RAG' }, outputs: { expected_topics: ['retrieval'] } },
      { dataset_id: dataset.id, inputs: { query: 'BM25' }, outputs: { expected_topics: ['ranking'] } },
    ]);
    expect(await ls.hasDataset({ datasetName })).toBe(true);
    const listed: Example[] = [];
    for await (const example of ls.listExamples({ datasetName })) listed.push(example);
    expect(listed.map((e) => e.inputs.query).sort()).toEqual(['BM25', 'RAG']);

    const target = traceable(async (inputs: { query: string }) => ({ answer: `${inputs.query} uses retrieval` }), {
      name: 'target', client: ls,
    });
    const results = await evaluate(target, {
      data: datasetName,
      client: ls,
      experimentPrefix: 'fake-experiment',
      evaluators: [
        ({ outputs }: { outputs?: Record<string, unknown> }) => ({
          key: 'mentions_retrieval',
          score: String(outputs?.answer).includes('retrieval'),
        }),
      ],
    });

    expect(results.results.map((r) => r.evaluationResults.results[0]?.score)).toEqual([true, true]);
    await ls.awaitPendingTraceBatches();
    const experiment = fake.sessions().find((s) => s.name.startsWith('fake-experiment'));
    expect(experiment?.reference_dataset_id).toBe(dataset.id);
    const targetRuns = fake.runs().filter((r) => r.name === 'target');
    expect(targetRuns).toHaveLength(2);
    expect(targetRuns.every((r) => listed.some((e) => e.id === r.reference_example_id))).toBe(true);
    expect(fake.feedback().map((f) => f.key)).toEqual(['mentions_retrieval', 'mentions_retrieval']);
    expect(fake.feedback().every((f) => targetRuns.some((r) => r.id === f.run_id))).toBe(true);
    expect(unhandled(fake)).toEqual([]);
  });

  it('serves the JSON example endpoints, paginates, and 409s a duplicate session name', async () => {
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${fake.url}${path}`, {
        method,
        headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> & Array<Record<string, unknown>> };
    };
    const dataset = (await call('POST', '/datasets', { name: 'json-ds' })).body;
    await call('POST', '/examples/bulk', [1, 2].map((n) => ({ dataset_id: dataset.id, inputs: { n } })));
    const single = await call('POST', '/examples', { dataset_id: dataset.id, inputs: { n: 3 }, outputs: { ok: true } });
    expect(single.status).toBe(200);

    const page = await call('GET', `/examples?dataset=${String(dataset.id)}&offset=1&limit=1`);
    expect(page.body.map((e) => e.inputs)).toEqual([{ n: 2 }]);
    expect((await call('GET', `/examples/${String(single.body.id)}`)).body.outputs).toEqual({ ok: true });
    expect((await call('GET', `/datasets/${String(dataset.id)}`)).body.example_count).toBe(3);

    expect((await call('POST', '/sessions', { name: 'exp' })).body.tenant_id).toEqual(expect.any(String));
    expect((await call('POST', '/sessions', { name: 'exp' })).status).toBe(409);
    expect((await call('GET', '/sessions?name=exp')).body).toHaveLength(1);
  });

  it('rejects a wrong x-api-key with 401', async () => {
    await expect(client(fake.url, { apiKey: 'wrong' }).createDataset('nope')).rejects.toThrow(/401/);
    expect(fake.datasets()).toEqual([]);
  });
});
