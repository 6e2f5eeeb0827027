import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { LangfuseClient } from '@langfuse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLangfuseFake, type LangfuseFake } from '../fakes/langfuse.js';
import { loadPromptFiles } from '../../src/prompts/files.js';
import { pushPrompts } from '../../src/prompts/push.js';

const run = promisify(execFile);
let fake: LangfuseFake;

beforeAll(async () => {
  fake = await startLangfuseFake();
});
afterAll(() => fake.close());

const push = (env: Record<string, string>) =>
  run(process.execPath, ['--import', 'tsx', 'scripts/prompts-push.ts'], { env: { PATH: process.env.PATH, ...env } }).then(
    (result) => ({ code: 0, ...result }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
const langfuseEnv = () => ({ LANGFUSE_PUBLIC_KEY: 'pk-lf-test', LANGFUSE_SECRET_KEY: 'sk-lf-test', LANGFUSE_BASE_URL: fake.url });

describe('npm run prompts:push', () => {
  it('creates every version of the files with their labels, then creates nothing on a second run', async () => {
    fake.reset();
    const first = await push(langfuseEnv());
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe(
      'research-answer v1: created\n' +
        'research-answer v2: created with labels production\n' +
        `Created 2 prompt version(s) in LangFuse at ${fake.url}.\n`,
    );
    const file = loadPromptFiles().get('research-answer');
    expect(fake.prompts().map(({ name, version, labels, config }) => ({ name, version, labels, config }))).toEqual([
      { name: 'research-answer', version: 1, labels: [], config: {} },
      { name: 'research-answer', version: 2, labels: ['production', 'latest'], config: file?.versions[1]?.config },
    ]);
    expect(fake.prompts()[1]?.prompt).toEqual(file?.versions[1]?.messages.map((message) => ({ type: 'chatmessage', ...message })));

    const second = await push(langfuseEnv());
    expect(second.stdout).toBe(
      'research-answer v1: already in LangFuse\n' +
        'research-answer v2: already in LangFuse\n' +
        `Nothing to create: LangFuse at ${fake.url} already has every version of 1 prompt(s).\n`,
    );
    expect(fake.prompts()).toHaveLength(2);
    expect(fake.requests.filter((request) => request.method === 'POST')).toHaveLength(2);
  });

  it('leaves a label promoted in LangFuse where it is, and says so', async () => {
    fake.reset();
    const client = new LangfuseClient({ publicKey: 'pk-lf-test', secretKey: 'sk-lf-test', baseUrl: fake.url });
    const files = [...loadPromptFiles().values()];
    await pushPrompts(client, files);
    await client.prompt.create({ name: 'research-answer', type: 'chat', prompt: [{ role: 'user', content: '{{query}}' }], labels: ['production'] });
    const outcome = await pushPrompts(client, files);
    expect(outcome).toEqual({
      created: 0,
      lines: ['research-answer v1: already in LangFuse', 'research-answer v2: already in LangFuse (label production is on another version there; left as is)'],
    });
    expect(fake.prompts().map((p) => p.labels)).toEqual([[], [], ['production', 'latest']]);
  });

  it('refuses to go on when LangFuse holds different text for a version of the file', async () => {
    fake.reset();
    const client = new LangfuseClient({ publicKey: 'pk-lf-test', secretKey: 'sk-lf-test', baseUrl: fake.url });
    await client.prompt.create({ name: 'research-answer', type: 'chat', prompt: [{ role: 'user', content: 'edited in the UI' }] });
    await expect(pushPrompts(client, loadPromptFiles().values())).rejects.toThrow(
      'research-answer v1: LangFuse has different messages for this version',
    );
    expect(fake.prompts()).toHaveLength(1);
  });

  it('fails with exit code 2 and says what is missing without LangFuse keys', async () => {
    const result = await push({});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('prompts:push needs LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY');
  });
});
