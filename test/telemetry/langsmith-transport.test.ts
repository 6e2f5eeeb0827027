import { describe, expect, it } from 'vitest';
import { createRunBatchTransport } from '../../src/telemetry/sinks/langsmith/transport.js';
import { pollUntil } from '../fakes/http-fake.js';
import { useLangSmithFake } from './langsmith-fixtures.js';

const apiKey = 'ls-transport-key';
const fake = useLangSmithFake(apiKey);
const body = JSON.stringify({ post: [{ id: '01a219e4-62d8-7d6e-ba3e-83dfe11b270e', name: 'orchestrator', run_type: 'chain', inputs: {} }], patch: [] });
const posts = () => fake().requests.filter((request) => request.path === '/runs/batch');

describe('run batch transport', () => {
  it('posts the JSON batch with the API key', async () => {
    const transport = createRunBatchTransport({ endpoint: `${fake().url}/`, apiKey, timeoutMs: 2000 });
    await transport.post(body, new AbortController().signal);
    expect(fake().runs().map((run) => run.name)).toEqual(['orchestrator']);
    expect(posts()[0]?.headers['content-type']).toBe('application/json');
    transport.close();
  });

  it('retries a 5xx and then succeeds', async () => {
    const transport = createRunBatchTransport({ endpoint: fake().url, apiKey, timeoutMs: 2000, retries: 1 });
    await fake().setMode('fail');
    const sending = transport.post(body, new AbortController().signal);
    // The retry waits at least a second: time enough to heal the endpoint once the first 500 is out.
    await pollUntil(() => posts()[0]?.status, (status) => status === 500, 5000, (status) => `first post: ${status}`);
    await fake().setMode('ok');
    await sending;
    expect(posts().map((request) => request.status)).toEqual([500, 202]);
    transport.close();
  });

  it('does not retry a rejected batch', async () => {
    const transport = createRunBatchTransport({ endpoint: fake().url, apiKey: 'wrong-key', timeoutMs: 2000, retries: 2 });
    await expect(transport.post(body, new AbortController().signal)).rejects.toThrow(/HTTP 401/);
    expect(posts()).toHaveLength(1);
    transport.close();
  });

  it('gives up on a hanging endpoint at the timeout, without retrying, and stops at once when aborted', async () => {
    await fake().setMode('hang');
    const transport = createRunBatchTransport({ endpoint: fake().url, apiKey, timeoutMs: 300, retries: 2 });
    // The message names the timeout that fired; one request shows that a timeout is not retried.
    await expect(transport.post(body, new AbortController().signal)).rejects.toThrow(/no answer within 300 ms/);
    expect(posts()).toHaveLength(1);
    expect(posts()[0]?.status).toBeUndefined();

    transport.close();

    // A timeout far beyond the test's own: only the abort can end this post.
    const patient = createRunBatchTransport({ endpoint: fake().url, apiKey, timeoutMs: 600_000, retries: 2 });
    const abort = new AbortController();
    const sending = patient.post(body, abort.signal);
    await pollUntil(() => posts().length, (count) => count === 2, 5000, (count) => `${count} posts`);
    abort.abort();
    await expect(sending).rejects.not.toThrow(/no answer within/);
    expect(posts()).toHaveLength(2);
    patient.close();
  });
});
