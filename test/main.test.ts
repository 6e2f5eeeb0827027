import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** What a new user gets from `npm start` with no keys: an offline service that answers and then stops cleanly. */
describe('src/main.ts', () => {
  it('starts offline with no keys, answers a query, exposes the LLM series, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const address = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`service did not start:\n${output}`)), 20_000);
      child.stdout.on('data', () => {
        const match = output.match(/"address":"(http:\/\/[^"]+)"/);
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

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code, output).toBe(0);
    expect(output).toMatch(/"trace_id":"[0-9a-f]{32}".*"event":"llm_call"/);
  }, 40_000);

  it('fails fast with a clear message on invalid configuration', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', PORT: 'not-a-port' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const [code] = await once(child, 'exit');
    expect(code).toBe(78);
    expect(stderr).toMatch(/Invalid configuration:\n\s+PORT:/);
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
