import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const compiledEntry = join(repoRoot, 'dist', 'main.js');
const scripts = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** Runs the compiled entry as `npm start` does, with exactly `env` (plus PATH). */
function startCompiled(env: Record<string, string>) {
  const child = spawn(process.execPath, ['dist/main.js'], { cwd: repoRoot, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return { child, output: () => output };
}

// What a new user gets from `npm install && npm start`: prestart builds dist/ (it is missing on a fresh
// clone), then the compiled service runs. The build is part of what is tested here.
beforeAll(() => {
  rmSync(join(repoRoot, 'dist'), { recursive: true, force: true });
  const prestart = spawnSync(process.execPath, ['scripts/prestart.mjs'], { cwd: repoRoot, encoding: 'utf8' });
  expect(prestart.status, `${prestart.stdout}\n${prestart.stderr}`).toBe(0);
}, 120_000);

describe('npm start', () => {
  it('runs the compiled entry, built by prestart when dist/ is missing, and rebuilds only when src/ is newer', () => {
    expect(scripts.start).toBe('node --max-semi-space-size=32 dist/main.js');
    expect(existsSync(compiledEntry)).toBe(true);
    expect(existsSync(join(repoRoot, 'dist', 'llm', 'prices.json'))).toBe(true);
    const builtAt = statSync(compiledEntry).mtimeMs;
    const again = spawnSync(process.execPath, ['scripts/prestart.mjs'], { cwd: repoRoot, encoding: 'utf8' });
    expect(again.status).toBe(0);
    expect(statSync(compiledEntry).mtimeMs).toBe(builtAt);
  });

  it('starts offline with no keys, answers a query, exposes the LLM series, and exits 0 on SIGTERM', async () => {
    const { child, output } = startCompiled({ PORT: '0', HOST: '127.0.0.1' });
    const address = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`service did not start:\n${output()}`)), 20_000);
      child.stdout.on('data', () => {
        const match = output().match(/"address":"(http:\/\/[^"]+)"/);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    });
    const response = await fetch(`${address}/api/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'What are the latest advances in RAG systems?' }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { answer: string; sources: unknown[] };
    expect(body.answer).toMatch(/Offline mode/);
    expect(body.sources.length).toBeGreaterThan(0);
    const metrics = await (await fetch(`${address}/metrics`)).text();
    expect(metrics).toMatch(/llm_requests_total\{model="offline-extractive",status="success"\} 1/);
    expect(metrics).toMatch(/llm_latency_seconds_count\{model="offline-extractive"\} 1/);
    expect(await (await fetch(`${address}/readyz`)).json()).toMatchObject({ status: 'ready', provider: 'offline', sinks: [] });

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code, output()).toBe(0);
    expect(output()).toMatch(/"trace_id":"[0-9a-f]{32}".*"event":"llm_call"/);
    expect(output()).not.toMatch(/offline_in_production/);
  }, 40_000);

  it('warns at start when auto falls back to the offline model in production', async () => {
    const { child, output } = startCompiled({ PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'production' });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no warning:\n${output()}`)), 20_000);
      child.stdout.on('data', () => {
        if (output().includes('offline_in_production')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGTERM');
    await once(child, 'exit');
    const warning = output()
      .split('\n')
      .find((line) => line.includes('offline_in_production'));
    expect(JSON.parse(warning as string)).toMatchObject({ level: 40, llm_provider: 'offline' });
  }, 40_000);

  it('fails fast with a clear message on invalid configuration', async () => {
    const { child, output } = startCompiled({ PORT: 'not-a-port' });
    const [code] = await once(child, 'exit');
    expect(code).toBe(78);
    expect(output()).toMatch(/Invalid configuration:\n\s+PORT:/);
  }, 20_000);

  it('exits non-zero naming GEMINI_API_KEY when LLM_PROVIDER=gemini has no key', async () => {
    const { child, output } = startCompiled({ LLM_PROVIDER: 'gemini' });
    const [code] = await once(child, 'exit');
    expect(code).toBe(78);
    expect(output()).toMatch(/GEMINI_API_KEY: required when LLM_PROVIDER=gemini/);
  }, 20_000);

  it('fails start-up naming a pinned prompt version that exists nowhere', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', PROMPT_VERSION: '9' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const [code] = await once(child, 'exit');
    expect(code).toBe(78);
    expect(stderr).toContain('prompt research-answer: version 9 is not in prompts/research-answer.yaml');
  }, 20_000);
});
