// Keeps `npm run bench` working: a smoke run (about a second per scenario, one round) must produce a
// results file with every scenario and a number for every figure. Timings are never asserted: CI
// machines are too noisy for that, and the full bench is what measures.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Results } from '../../bench/report.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const outDir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

function runSmoke(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--smoke', '--out', outDir], {
      cwd: repoRoot,
      // test/main.test.ts deletes and rebuilds dist/ meanwhile: the smoke run starts the service from source.
      env: { ...process.env, BENCH_FROM_SOURCE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

/** Every leaf of `value` that should be a measurement: finite numbers only. */
function numericLeaves(value: unknown, path = ''): Array<[string, unknown]> {
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, child]) => numericLeaves(child, path ? `${path}.${key}` : key));
  }
  return [[path, value]];
}

describe('npm run bench -- --smoke', () => {
  it('writes results.json with every scenario, ratio and target', { timeout: 180_000 }, async () => {
    const { code, output } = await runSmoke();
    expect(code, output.slice(-4000)).toBe(0);
    const results = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as Results;

    expect(results.meta.mode).toBe('smoke');
    expect(Object.keys(results.scenarios).sort()).toEqual(['a', 'b', 'c', 'd_off', 'd_on', 'e', 'f', 'g', 'h']);
    for (const id of ['a', 'b', 'c', 'd_off', 'd_on'] as const) {
      const scenario = results.scenarios[id];
      expect(scenario.requests, id).toBeGreaterThan(0);
      for (const figure of ['rps', 'p50Ms', 'p99Ms', 'cpuUsPerRequest', 'mainThreadUsPerRequest', 'rssMb'] as const) {
        expect(Number.isFinite(scenario[figure]), `${id}.${figure}`).toBe(true);
      }
    }
    for (const [path, value] of [
      ...numericLeaves(results.scenarios.e, 'e'),
      ...numericLeaves(results.scenarios.f, 'f'),
      ...numericLeaves(results.scenarios.g, 'g'),
      ...(['memory', 'redis'] as const).flatMap((store) =>
        numericLeaves({ calls: results.scenarios.h[store].callsPerSide, miss: results.scenarios.h[store].miss, hit: results.scenarios.h[store].hit }, `h.${store}`),
      ),
      ...numericLeaves(results.ratios, 'ratios'),
    ]) {
      if (typeof value === 'boolean') continue;
      expect(Number.isFinite(value), path).toBe(true);
    }
    expect([results.scenarios.h.memory.store, results.scenarios.h.redis.store]).toEqual(['memory', 'redis']);
    expect(results.targets).toHaveLength(6);
    for (const target of results.targets) expect(Number.isFinite(target.value), target.figure).toBe(true);
    // The sinks really were on: spans, observations, runs and log lines reached the fakes.
    const sinks = results.scenarios.c.sinkItemsPerRequest;
    expect(sinks?.otlpSpans).toBeGreaterThan(0);
    expect(sinks?.langfuseObservations).toBeGreaterThan(0);
    expect(sinks?.langsmithRuns).toBeGreaterThan(0);
    expect(sinks?.lokiLines).toBeGreaterThan(0);
  });
});
