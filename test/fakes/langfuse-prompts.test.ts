import { LangfuseClient } from '@langfuse/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLangfuseFake, type LangfuseFake } from './langfuse.js';

let fake: LangfuseFake;
let langfuse: LangfuseClient;
const basicAuth = `Basic ${Buffer.from('pk-lf-test:sk-lf-test').toString('base64')}`;

beforeAll(async () => {
  fake = await startLangfuseFake();
  langfuse = new LangfuseClient({ publicKey: 'pk-lf-test', secretKey: 'sk-lf-test', baseUrl: fake.url });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const chat = (text: string) => [{ role: 'user', content: text }];
const create = (text: string, labels: string[] = []) =>
  langfuse.prompt.create({ name: 'answer', type: 'chat', prompt: chat(text), labels, config: { temperature: 0.1 } });
const request = (method: string, path: string, body?: unknown) =>
  fetch(`${fake.url}${path}`, { method, headers: { authorization: basicAuth, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

describe('Langfuse fake: prompt management through @langfuse/client', () => {
  it('numbers new versions, answers 201, and moves labels and "latest" to the newest holder', async () => {
    const first = await create('v1', ['production']);
    const second = await create('v2', ['candidate']);
    expect([first.version, second.version]).toEqual([1, 2]);
    expect(fake.requests.map((r) => [r.method, r.path, r.status])).toEqual([
      ['POST', '/api/public/v2/prompts', 201],
      ['POST', '/api/public/v2/prompts', 201],
    ]);
    expect(fake.prompts().map((p) => [p.version, p.labels])).toEqual([
      [1, ['production']],
      [2, ['candidate', 'latest']],
    ]);
    expect(fake.prompts()[1]).toMatchObject({ type: 'chat', prompt: [{ type: 'chatmessage', role: 'user', content: 'v2' }], config: { temperature: 0.1 } });

    await langfuse.prompt.update({ name: 'answer', version: 2, newLabels: ['production'] });
    expect(fake.prompts().map((p) => p.labels)).toEqual([[], ['production', 'candidate', 'latest']]);
  });

  it('serves by label (production by default) and by version, never confusing a version with a label', async () => {
    await create('one', ['production']);
    await create('two', ['2']);
    const byDefault = await langfuse.prompt.get('answer', { type: 'chat', cacheTtlSeconds: 0 });
    const byVersion = await langfuse.prompt.get('answer', { type: 'chat', version: 2, cacheTtlSeconds: 0 });
    const byLabel = await langfuse.prompt.get('answer', { type: 'chat', label: 'latest', cacheTtlSeconds: 0 });
    expect([byDefault.version, byVersion.version, byLabel.version]).toEqual([1, 2, 2]);
    expect(byDefault.compile({})).toEqual([{ role: 'user', content: 'one' }]);
    expect(fake.requests.slice(-3).map((r) => r.query.toString())).toEqual(['', 'version=2', 'label=latest']);
  });

  it('answers 404 the way the server does, and 400 for a version together with a label', async () => {
    await create('one', ['production']);
    const missingLabel = await request('GET', '/api/public/v2/prompts/answer?label=candidate');
    expect(missingLabel.status).toBe(404);
    expect(await missingLabel.json()).toEqual({ message: "Prompt not found: 'answer' with label 'candidate'", error: 'LangfuseNotFoundError' });
    const missingVersion = await request('GET', '/api/public/v2/prompts/answer?version=9');
    expect(await missingVersion.json()).toEqual({ message: "Prompt not found: 'answer' with version 9", error: 'LangfuseNotFoundError' });
    const both = await request('GET', '/api/public/v2/prompts/answer?version=1&label=production');
    expect([both.status, await both.json()]).toEqual([400, { message: 'Cannot specify both version and label', error: 'InvalidRequestError' }]);
    const patchMissing = await request('PATCH', '/api/public/v2/prompts/answer/versions/7', { newLabels: ['x'] });
    expect([patchMissing.status, await patchMissing.json()]).toEqual([404, { message: 'Prompt not found: answer' }]);

    await expect(langfuse.prompt.get('answer', { label: 'candidate', cacheTtlSeconds: 0, maxRetries: 0 })).rejects.toMatchObject({ statusCode: 404 });
  });

  it('rejects an invalid body with the server\'s 400 and a type change with InvalidRequestError', async () => {
    const invalid = await request('POST', '/api/public/v2/prompts', { type: 'chat', prompt: 'not a list' });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ message: 'Invalid request data', error: [{ path: ['name'] }, { path: ['prompt'] }] });
    await create('chat one');
    const retyped = await request('POST', '/api/public/v2/prompts', { name: 'answer', type: 'text', prompt: 'plain' });
    expect(retyped.status).toBe(400);
    expect(await retyped.json()).toMatchObject({ error: 'InvalidRequestError' });
    expect(fake.prompts()).toHaveLength(1);
  });
});
