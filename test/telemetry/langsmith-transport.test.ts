import { describe, expect, it } from 'vitest';
import { createRunBatchTransport } from '../../src/telemetry/sinks/langsmith/transport.js';
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
    setTimeout(() => void fake().setMode('ok'), 200);
    await transport.post(body, new AbortController().signal);
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
    const started = Date.now();
    await expect(transport.post(body, new AbortController().signal)).rejects.toThrow(/no answer within 300 ms/);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(posts()).toHaveLength(1);

    const abort = new AbortController();
    const sending = transport.post(body, abort.signal);
    setTimeout(() => abort.abort(), 50);
    await expect(sending).rejects.toThrow();
    transport.close();
  });
});
