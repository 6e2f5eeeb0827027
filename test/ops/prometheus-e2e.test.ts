import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGeminiFake, type GeminiFake } from '../fakes/gemini.js';
import { ruleFilePaths } from './files.js';
import { freePort, startService, waitFor, type Service } from './processes.js';
import { alertExpressions, dashboardExpressions, instantQuery, type LabelledExpr } from './promql.js';
import { expectExit, repoRoot, runBinary } from './run.js';

// The real API, scraped by a real Prometheus with the project's own rules, answers every PromQL
// expression the dashboards and alerts use. A panel on a metric the API does not export fails here.

const QUESTION = 'How does retrieval-augmented generation reduce hallucination in language models?';

interface Answer {
  traceId: string;
  feedbackToken: string;
}

let tempDir: string;
let gemini: GeminiFake;
let api: Service;
let prometheus: Service;
let apiUrl: string;
let prometheusUrl: string;
const answers: Answer[] = [];
// Error bodies carry the trace id too, and a failed call is an LLM latency sample with its own exemplar.
const failedTraceIds: string[] = [];

/** The repository's prometheus.yml reduced to one fast job on the test API; same rule files. */
function prometheusConfig(apiPort: number): string {
  return JSON.stringify({
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    rule_files: ruleFilePaths().map((path) => resolve(repoRoot, path)),
    scrape_configs: [{ job_name: 'api', static_configs: [{ targets: [`127.0.0.1:${apiPort}`] }] }],
  });
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${apiUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function ask(): Promise<Answer> {
  const { status, json } = await post('/api/query', { query: QUESTION, session_id: 'ops-e2e' });
  expect(status, JSON.stringify(json)).toBe(200);
  const metadata = json.metadata as { trace_id: string; feedback_token: string };
  return { traceId: metadata.trace_id, feedbackToken: metadata.feedback_token };
}

/**
 * Successes (the repeats answered by the response cache, so the hit-rate and dollars-saved panels have
 * data), an LLM failure surfacing as 5xx (`no-cache`, so it reaches the model), and feedback both ways.
 */
async function trafficWave(): Promise<void> {
  const wave = [await ask(), await ask(), await ask()];
  answers.push(...wave);
  gemini.enqueue({ kind: 'error', status: 500 });
  const failed = await post('/api/query', { query: QUESTION }, { 'cache-control': 'no-cache' });
  expect(failed.status, JSON.stringify(failed.json)).toBeGreaterThanOrEqual(500);
  failedTraceIds.push((failed.json as { trace_id: string }).trace_id);
  for (const [index, answer] of wave.slice(0, 2).entries()) {
    const feedback = await post('/api/feedback', {
      trace_id: answer.traceId,
      is_helpful: index === 0,
      feedback_token: answer.feedbackToken,
    });
    expect(feedback.status, JSON.stringify(feedback.json)).toBe(200);
  }
}

async function query(expr: string) {
  return instantQuery(prometheusUrl, expr);
}

beforeAll(async () => {
  tempDir = mkdtempSync(join(tmpdir(), 'ops-e2e-'));
  gemini = await startGeminiFake();
  const [apiPort, prometheusPort] = await Promise.all([freePort(), freePort()]);
  apiUrl = `http://127.0.0.1:${apiPort}`;
  prometheusUrl = `http://127.0.0.1:${prometheusPort}`;

  // Only what the test needs: a developer's LANGFUSE_*, LOKI_URL… must not leak into the API.
  api = startService('api', process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PORT: String(apiPort),
    HOST: '127.0.0.1',
    APP_ENV: 'test',
    LOG_LEVEL: 'warn',
    GEMINI_API_KEY: 'test-key',
    GEMINI_BASE_URL: gemini.url,
    LLM_MAX_RETRIES: '0',
    // Gives the budget panel its series.
    BUDGET_USD_PER_DAY: '50',
  });
  const configFile = join(tempDir, 'prometheus.yml');
  writeFileSync(configFile, prometheusConfig(apiPort));
  prometheus = startService(
    'prometheus',
    'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(tempDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${prometheusPort}`,
      '--enable-feature=exemplar-storage',
      '--log.level=warn',
    ],
    { PATH: process.env.PATH, HOME: process.env.HOME },
  );
  const services = [api, prometheus];

  await waitFor(async () => ((await fetch(`${apiUrl}/readyz`)).ok ? true : undefined), {
    timeoutMs: 20_000,
    describe: api.output,
    services,
  });
  // The first scrape lands several seconds after start: poll instead of sleeping.
  await waitFor(async () => ((await query('up{job="api"} == 1')).data?.result.length ? true : undefined), {
    timeoutMs: 25_000,
    describe: prometheus.output,
    services,
  });
  // Two waves a few scrapes apart, so counters grow between samples and rate()/increase() see it.
  await trafficWave();
  await sleep(2500);
  await trafficWave();
}, 60_000);

afterAll(async () => {
  await Promise.all([api?.stop(), prometheus?.stop()]);
  await gemini?.close();
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
}, 15_000);

function describeFailures(failures: { item: LabelledExpr; problem: string }[]): string {
  return failures.map(({ item, problem }) => `${item.source}: ${problem}\n    ${item.expr}`).join('\n');
}

describe('dashboards and alerts against the real API and Prometheus', () => {
  it('returns data for every dashboard expression', async () => {
    const expressions = dashboardExpressions({ trace_id: answers[0]?.traceId ?? '' });
    expect(expressions.length).toBeGreaterThan(0);
    let failures: { item: LabelledExpr; problem: string }[] = [];
    // rate() needs two samples after the second wave: poll until every panel has data.
    await waitFor(
      async () => {
        const results = await Promise.all(expressions.map(async (item) => ({ item, response: await query(item.expr) })));
        failures = results
          .filter(({ response }) => response.status !== 'success' || !response.data?.result.length)
          .map(({ item, response }) => ({ item, problem: response.status === 'success' ? 'no data' : `invalid: ${response.error}` }));
        return failures.length === 0 ? true : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 1000, describe: () => `dashboard expressions failing:\n${describeFailures(failures)}` },
    );
  }, 20_000);

  it('accepts every alert expression', async () => {
    const failures: { item: LabelledExpr; problem: string }[] = [];
    for (const item of alertExpressions()) {
      const response = await query(item.expr);
      if (response.status !== 'success') failures.push({ item, problem: `invalid: ${response.error}` });
    }
    expect(failures, describeFailures(failures)).toEqual([]);
  });

  it('loaded the project rules and evaluates them', async () => {
    const response = (await (await fetch(`${prometheusUrl}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string; type: string; health: string; lastError?: string }[] }[] };
    };
    const rules = response.data.groups.flatMap((group) => group.rules).filter((rule) => rule.type === 'alerting');
    expect(rules.map((rule) => rule.name).sort()).toEqual(alertExpressions().map((item) => item.source.replace('alert ', '')).sort());
    for (const rule of rules) expect(rule.health, `${rule.name}: ${rule.lastError ?? ''}`).not.toBe('err');
  });

  it('stores an exemplar on llm_latency_seconds with a trace id the API returned', async () => {
    const returned = new Set([...answers.map((answer) => answer.traceId), ...failedTraceIds]);
    const now = Date.now() / 1000;
    const found = await waitFor(
      async () => {
        const params = new URLSearchParams({ query: 'llm_latency_seconds_bucket', start: String(now - 600), end: String(now + 60) });
        const body = (await (await fetch(`${prometheusUrl}/api/v1/query_exemplars?${params}`)).json()) as {
          data: { exemplars: { labels: Record<string, string> }[] }[];
        };
        const traceIds = body.data.flatMap((series) => series.exemplars.map((exemplar) => exemplar.labels.trace_id));
        return traceIds.find((traceId) => traceId !== undefined && returned.has(traceId));
      },
      { timeoutMs: 10_000, describe: () => `no exemplar carries one of ${[...returned].join(', ')}` },
    );
    expect(returned.has(found)).toBe(true);
  }, 15_000);

  it('serves plain-text /metrics that promtool check metrics accepts without findings', async () => {
    const response = await fetch(`${apiUrl}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const result = await runBinary('promtool', ['check', 'metrics'], { input: await response.text() });
    expectExit(result, 0);
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
  });
});
