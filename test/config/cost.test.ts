import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';

describe('cost-control settings', () => {
  it('default to an in-process cache of 1000 entries for an hour, no budgets, batches of 20', () => {
    expect(loadConfig({}).costControls).toEqual({
      redis: undefined,
      cache: { ttlSeconds: 3600, maxEntries: 1000 },
      budget: { limits: { serviceUsdPerDay: undefined, callerUsdPerDay: undefined, userUsdPerDay: undefined }, failOpen: false },
      batch: { maxItems: 20, maxConcurrency: 8 },
    });
  });

  it('reads every setting', () => {
    const config = loadConfig({
      REDIS_URL: 'rediss://cache.internal:6380/2',
      REDIS_COMMAND_TIMEOUT_MS: '250',
      FEEDBACK_SECRET: 'shared',
      CACHE_TTL_SECONDS: '0',
      CACHE_MAX_ENTRIES: '50',
      BUDGET_USD_PER_DAY: '25',
      BUDGET_USD_PER_DAY_PER_CALLER: '0.01',
      BUDGET_USD_PER_DAY_PER_USER: '0.005',
      BUDGET_FAIL_OPEN: 'true',
      BATCH_MAX_ITEMS: '5',
      BATCH_MAX_CONCURRENCY: '2',
    });
    expect(config.costControls).toEqual({
      redis: { url: 'rediss://cache.internal:6380/2', commandTimeoutMs: 250 },
      cache: { ttlSeconds: 0, maxEntries: 50 },
      budget: { limits: { serviceUsdPerDay: 25, callerUsdPerDay: 0.01, userUsdPerDay: 0.005 }, failOpen: true },
      batch: { maxItems: 5, maxConcurrency: 2 },
    });
  });

  it.each([
    ['REDIS_URL', 'http://cache:6379'],
    ['REDIS_URL', 'not a url'],
    ['REDIS_COMMAND_TIMEOUT_MS', '0'],
    ['REDIS_COMMAND_TIMEOUT_MS', 'fast'],
    ['CACHE_TTL_SECONDS', '-1'],
    ['CACHE_TTL_SECONDS', '1.5'],
    ['CACHE_TTL_SECONDS', 'an hour'],
    ['CACHE_MAX_ENTRIES', '0'],
    ['CACHE_MAX_ENTRIES', 'many'],
    ['BUDGET_USD_PER_DAY', '0'],
    ['BUDGET_USD_PER_DAY', '-5'],
    ['BUDGET_USD_PER_DAY', '$5'],
    ['BUDGET_USD_PER_DAY_PER_CALLER', 'ten cents'],
    ['BUDGET_USD_PER_DAY_PER_CALLER', '0'],
    ['BUDGET_USD_PER_DAY_PER_USER', '-0.01'],
    ['BUDGET_USD_PER_DAY_PER_USER', 'Infinity'],
    ['BUDGET_FAIL_OPEN', 'maybe'],
    ['BATCH_MAX_ITEMS', '0'],
    ['BATCH_MAX_ITEMS', '1001'],
    ['BATCH_MAX_CONCURRENCY', '0'],
    ['BATCH_MAX_CONCURRENCY', 'four'],
  ])('refuses %s=%s, naming it', (variable, value) => {
    const load = () => loadConfig({ FEEDBACK_SECRET: 's', [variable]: value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(new RegExp(`^Invalid configuration:\\n  ${variable}: `));
  });

  it('requires FEEDBACK_SECRET with REDIS_URL, naming it', () => {
    expect(() => loadConfig({ REDIS_URL: 'redis://cache:6379' })).toThrow(/FEEDBACK_SECRET: required when REDIS_URL is set/);
  });

  it('names every bad variable at once', () => {
    expect(() => loadConfig({ CACHE_TTL_SECONDS: '-1', BUDGET_USD_PER_DAY: 'x', BATCH_MAX_ITEMS: '0' })).toThrow(
      /CACHE_TTL_SECONDS:[\s\S]*BUDGET_USD_PER_DAY:[\s\S]*BATCH_MAX_ITEMS:/,
    );
  });
});

/** Runs src/main.ts with `env` and returns its exit code and standard error. */
async function startUp(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const [code] = await once(child, 'exit');
  return { code, stderr };
}

describe('start-up with bad cost-control settings', () => {
  it('exits 78 naming the bad variable', async () => {
    const { code, stderr } = await startUp({ CACHE_TTL_SECONDS: '-1', FEEDBACK_SECRET: 's' });
    expect(code).toBe(78);
    expect(stderr).toMatch(/Invalid configuration:\n\s+CACHE_TTL_SECONDS:/);
  }, 20_000);

  it('exits 78 naming FEEDBACK_SECRET when REDIS_URL is set without it', async () => {
    const { code, stderr } = await startUp({ REDIS_URL: 'redis://127.0.0.1:1' });
    expect(code).toBe(78);
    expect(stderr).toMatch(/FEEDBACK_SECRET: required when REDIS_URL is set/);
  }, 20_000);
});
