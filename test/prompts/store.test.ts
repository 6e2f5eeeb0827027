import { LangfuseClient } from '@langfuse/client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadPromptFiles, type PromptFile } from '../../src/prompts/files.js';
import { pushPrompts } from '../../src/prompts/push.js';
import { createLangfusePromptFetcher } from '../../src/prompts/remote.js';
import type { PromptSelector } from '../../src/prompts/served.js';
import { createPromptStore, PromptNotFoundError, type PromptStore } from '../../src/prompts/store.js';
import { startLangfuseFake, type LangfuseFake } from '../fakes/langfuse.js';

const file = loadPromptFiles().get('research-answer') as PromptFile;
const credentials = { publicKey: 'pk-lf-test', secretKey: 'sk-lf-test' };
let fake: LangfuseFake;
let client: LangfuseClient;
let store: PromptStore | undefined;
const fallbacks: string[] = [];
const warnings: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  fake = await startLangfuseFake();
  client = new LangfuseClient({ ...credentials, baseUrl: fake.url });
});
afterAll(() => fake.close());
beforeEach(async () => {
  await fake.setMode('ok');
  fake.reset();
  fallbacks.length = 0;
  warnings.length = 0;
});
afterEach(() => {
  store?.close();
  vi.useRealTimers();
});

function startStore(selectors: PromptSelector[], options: { remote?: boolean; timeoutMs?: number; ttlSeconds?: number } = {}) {
  store = createPromptStore({
    file,
    selectors,
    fetchPrompt: options.remote === false ? undefined : createLangfusePromptFetcher({ ...credentials, baseUrl: fake.url }, options.timeoutMs ?? 1000),
    cacheTtlSeconds: options.ttlSeconds ?? 60,
    hooks: { fallbackServed: (reason) => fallbacks.push(reason), warn: (fields) => warnings.push(fields) },
  });
  return store;
}
const production = { label: 'production' };
const addVersion = (text: string, labels: string[]) =>
  client.prompt.create({ name: 'research-answer', type: 'chat', prompt: [{ role: 'system', content: text }, { role: 'user', content: '{{query}}' }], labels });

describe('prompt store', () => {
  it('serves LangFuse\'s production version, and a new one after one refresh, from memory in between', async () => {
    await pushPrompts(client, [file]);
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const prompts = startStore([production]);
    await prompts.start();
    expect(prompts.get(production)).toMatchObject({ name: 'research-answer', version: 2, label: 'production', isFallback: false });

    await addVersion('Version three.', ['production']);
    const fetches = fake.requests.filter((request) => request.method === 'GET').length;
    expect(prompts.get(production).version).toBe(2);
    expect(fake.requests.filter((request) => request.method === 'GET')).toHaveLength(fetches);

    vi.advanceTimersByTime(60_000);
    await prompts.settled();
    const served = prompts.get(production);
    expect(served).toMatchObject({ version: 3, isFallback: false });
    expect(served.render({ query: 'q' })).toEqual({ system: 'Version three.', prompt: 'q' });
    expect(fallbacks).toEqual([]);
  });

  it('serves a pinned version, not the version under the same-numbered label or production', async () => {
    await pushPrompts(client, [file]);
    await addVersion('Three, labelled "1".', ['1']);
    const prompts = startStore([{ version: 1 }, { label: '1' }]);
    await prompts.start();
    expect(prompts.get({ version: 1 })).toMatchObject({ version: 1, label: null });
    expect(prompts.get({ label: '1' })).toMatchObject({ version: 3, label: '1' });
  });

  it.each([
    ['down', 'unavailable'],
    ['fail', 'unavailable'],
    ['hang', 'timeout'],
  ] as const)('falls back to the file when LangFuse is %s, counting every request served so', async (mode, reason) => {
    await fake.setMode(mode);
    const prompts = startStore([production], { timeoutMs: 200 });
    await prompts.start();
    expect(prompts.get(production)).toMatchObject({ version: 2, isFallback: true });
    prompts.get(production);
    expect(fallbacks).toEqual([reason, reason]);
    expect(warnings).toEqual([expect.objectContaining({ event: 'prompt_fallback', reason, fallback_version: 2 })]);
  });

  it('falls back with reason not_found when LangFuse lacks the prompt', async () => {
    const prompts = startStore([production]);
    await prompts.start();
    expect(prompts.get(production)).toMatchObject({ version: 2, isFallback: true });
    expect(fallbacks).toEqual(['not_found']);
  });

  it('warns at most once per 30 s, then says how many failures it held back', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    await fake.setMode('down');
    const prompts = startStore([production], { ttlSeconds: 5 });
    await prompts.start();
    for (let tick = 0; tick < 5; tick += 1) {
      vi.advanceTimersByTime(5_000);
      await prompts.settled();
    }
    expect(warnings).toHaveLength(1);
    vi.advanceTimersByTime(5_000);
    await prompts.settled();
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toMatchObject({ event: 'prompt_fallback', failures_held_back: 5 });
  });

  it('goes back to LangFuse once it answers again', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    await fake.setMode('down');
    const prompts = startStore([production]);
    await prompts.start();
    expect(prompts.get(production).isFallback).toBe(true);
    await fake.setMode('ok');
    await pushPrompts(client, [file]);
    vi.advanceTimersByTime(60_000);
    await prompts.settled();
    expect(prompts.get(production)).toMatchObject({ version: 2, isFallback: false });
  });

  it('fails start-up naming every label and version that exists nowhere', async () => {
    await pushPrompts(client, [file]);
    const prompts = startStore([{ label: 'candidate' }, { version: 7 }, production]);
    const failure = prompts.start();
    await expect(failure).rejects.toThrow(PromptNotFoundError);
    await expect(failure).rejects.toThrow(`label "candidate" exists neither in LangFuse (not_found: Prompt not found: 'research-answer' with label 'candidate') nor in prompts/research-answer.yaml`);
    await expect(failure).rejects.toThrow(/version 7 exists neither in LangFuse/);
    expect(prompts.ready).toBe(false);
  });

  it('serves the files alone without LangFuse, with the same label and version rules', async () => {
    const prompts = startStore([production, { version: 1 }], { remote: false });
    await prompts.start();
    expect(prompts.get(production)).toMatchObject({ version: 2, isFallback: false });
    expect(prompts.get({ version: 1 })).toMatchObject({ version: 1, isFallback: false });
    expect(fake.requests).toEqual([]);
    await expect(startStore([{ label: 'candidate' }], { remote: false }).start()).rejects.toThrow(
      'prompt research-answer: label "candidate" is not in prompts/research-answer.yaml',
    );
  });
});
