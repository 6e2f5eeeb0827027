import type { RunCreate } from 'langsmith/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeRuns } from '../../src/telemetry/sinks/langsmith/multipart.js';
import { createRunIngestTransport } from '../../src/telemetry/sinks/langsmith/transport.js';
import { pollUntil } from '../fakes/http-fake.js';
import { startLangSmithFake, type LangSmithFake } from '../fakes/langsmith.js';
import { useLangSmithFake } from './langsmith-fixtures.js';

const apiKey = 'ls-transport-key';
const fake = useLangSmithFake(apiKey);
const run = (name: string): RunCreate => ({
  id: '01a219e4-62d8-7d6e-ba3e-83dfe11b270e',
  name,
  run_type: 'chain',
  extra: { metadata: { session_id: 'session-1' } },
  // A run's JSON has its inputs and outputs last (multipart.ts), so this run's JSON.stringify is its part.
  inputs: { query: 'naïve RAG — “quoted”' },
  outputs: { answer: 'ok' },
});
const created = [run('orchestrator')];
const runs = serializeRuns(created);
const postsTo = (target: LangSmithFake, path: string) => target.requests.filter((request) => request.path === path);
const multipartPosts = () => postsTo(fake(), '/runs/multipart');
const ingestPaths = (target: LangSmithFake) => target.requests.filter((request) => request.path.startsWith('/runs')).map((request) => `${request.path} ${request.status}`);

describe('run ingest transport', () => {
  it('posts the runs to /runs/multipart, one part per run with its byte length, with the API key', async () => {
    const transport = createRunIngestTransport({ endpoint: `${fake().url}/`, apiKey, timeoutMs: 2000 });
    const twoCreated = [...created, { ...run('retriever'), id: '01a219e4-62d8-7d6e-ba3e-83dfe11b2710' }];
    const twoRuns = serializeRuns(twoCreated);
    const request = transport.encode(twoRuns);
    expect(request.path).toBe('multipart');
    await transport.post(twoRuns, request, new AbortController().signal);
    expect(fake().runs()).toMatchObject([
      { name: 'orchestrator', inputs: created[0]!.inputs, outputs: { answer: 'ok' }, extra: { metadata: { session_id: 'session-1' } } },
      { name: 'retriever' },
    ]);
    const [posted] = postsTo(fake(), '/runs/multipart');
    expect(posted?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=[0-9a-f]{24}$/);
    expect(posted?.headers['content-length']).toBe(String(request.encoded.body.length));
    const boundary = posted?.headers['content-type']?.split('boundary=')[1];
    const json = JSON.stringify(created[0]);
    expect(request.encoded.body.toString('utf8')).toBe(
      `--${boundary}\r\nContent-Disposition: form-data; name="post.${runs[0]!.id}"\r\nContent-Type: application/json; length=${Buffer.byteLength(json)}\r\n\r\n${json}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="post.${twoRuns[1]!.id}"\r\nContent-Type: application/json; length=${Buffer.byteLength(JSON.stringify(twoCreated[1]))}\r\n\r\n${JSON.stringify(twoCreated[1])}\r\n` +
        `--${boundary}--\r\n`,
    );
    transport.close();
  });

  it('retries a 5xx and then succeeds', async () => {
    const transport = createRunIngestTransport({ endpoint: fake().url, apiKey, timeoutMs: 2000, retries: 1 });
    await fake().setMode('fail');
    const sending = transport.post(runs, transport.encode(runs), new AbortController().signal);
    // The retry waits at least a second: time enough to heal the endpoint once the first 500 is out.
    await pollUntil(() => multipartPosts()[0]?.status, (status) => status === 500, 5000, (status) => `first post: ${status}`);
    await fake().setMode('ok');
    await sending;
    expect(multipartPosts().map((request) => request.status)).toEqual([500, 202]);
    transport.close();
  });

  it('does not retry a rejected batch, nor fall back on anything but 404', async () => {
    const transport = createRunIngestTransport({ endpoint: fake().url, apiKey: 'wrong-key', timeoutMs: 2000, retries: 2 });
    await expect(transport.post(runs, transport.encode(runs), new AbortController().signal)).rejects.toThrow(/HTTP 401/);
    expect(ingestPaths(fake())).toEqual(['/runs/multipart 401']);
    transport.close();
  });

  it('gives up on a hanging endpoint at the timeout, without retrying, and stops at once when aborted', async () => {
    await fake().setMode('hang');
    const transport = createRunIngestTransport({ endpoint: fake().url, apiKey, timeoutMs: 300, retries: 2 });
    // The message names the timeout that fired; one request shows that a timeout is not retried.
    await expect(transport.post(runs, transport.encode(runs), new AbortController().signal)).rejects.toThrow(/no answer within 300 ms/);
    expect(multipartPosts()).toHaveLength(1);
    expect(multipartPosts()[0]?.status).toBeUndefined();
    transport.close();

    // A timeout far beyond the test's own: only the abort can end this post.
    const patient = createRunIngestTransport({ endpoint: fake().url, apiKey, timeoutMs: 600_000, retries: 2 });
    const abort = new AbortController();
    const sending = patient.post(runs, patient.encode(runs), abort.signal);
    await pollUntil(() => multipartPosts().length, (count) => count === 2, 5000, (count) => `${count} posts`);
    abort.abort();
    await expect(sending).rejects.not.toThrow(/no answer within/);
    expect(multipartPosts()).toHaveLength(2);
    patient.close();
  });
});

describe('run ingest transport on a server without /runs/multipart', () => {
  let legacy: LangSmithFake;
  beforeAll(async () => {
    legacy = await startLangSmithFake({ apiKey, multipart: false });
  });
  afterAll(() => legacy.close());

  it('falls back to /runs/batch on 404, and stays there', async () => {
    const transport = createRunIngestTransport({ endpoint: legacy.url, apiKey, timeoutMs: 2000, retries: 2 });
    await transport.post(runs, transport.encode(runs), new AbortController().signal);
    const second = serializeRuns([{ ...run('second'), id: '01a219e4-62d8-7d6e-ba3e-83dfe11b270f' }]);
    const request = transport.encode(second);
    expect(request.path).toBe('batch');
    await transport.post(second, request, new AbortController().signal);
    expect(ingestPaths(legacy)).toEqual(['/runs/multipart 404', '/runs/batch 202', '/runs/batch 202']);
    expect(postsTo(legacy, '/runs/batch')[0]?.headers['content-type']).toBe('application/json');
    expect(legacy.runs().map((stored) => stored.name)).toEqual(['orchestrator', 'second']);
    expect(legacy.runs()[0]).toMatchObject({ inputs: created[0]!.inputs, extra: { metadata: { session_id: 'session-1' } } });
    transport.close();
  });
});
