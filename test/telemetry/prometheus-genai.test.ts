import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationDurationBuckets, tokenUsageBuckets } from '../../src/telemetry/sinks/prometheus-genai.js';
import { llmLatencyBuckets } from '../../src/telemetry/sinks/prometheus-registry.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { parseSamples } from '../helpers/metrics-text.js';
import { startGeminiFake, type GeminiFake } from '../fakes/gemini.js';
import { expectExit, runBinary } from '../ops/run.js';

// One successful and one failed call against the Gemini fake (usage: prompt 1200 with 200 cached,
// candidates 300, thoughts 100; a 400 is not retried), then /metrics as Prometheus scrapes it. Default retry
// settings (3 attempts of 15 s and two pairs of 10 s waits: 85 s at most) under a 120 s deadline.
let gemini: GeminiFake;
let service: TestApp;
let metricsText = '';

beforeAll(async () => {
  gemini = await startGeminiFake({ apiKey: 'test-key', modelVersion: 'gemini-2.5-flash-preview-09-2025' });
  service = await startTestApp({ GEMINI_API_KEY: 'test-key', GEMINI_BASE_URL: gemini.url, LOG_LEVEL: 'silent', LLM_DEADLINE_MS: '120000' });
  const query = 'What are the latest advances in RAG systems?';
  expect((await service.app.inject({ method: 'POST', url: '/api/query', payload: { query } })).statusCode).toBe(200);
  gemini.enqueue({ kind: 'error', status: 400 });
  expect((await service.app.inject({ method: 'POST', url: '/api/query', payload: { query } })).statusCode).toBe(502);
  metricsText = await service.metricsText();
}, 30_000);

afterAll(async () => {
  await service?.close();
  await gemini?.close();
});

const port = () => new URL(gemini.url).port;
const series = (name: string) => parseSamples(metricsText).filter((sample) => sample.name === name);
const bucketBounds = (name: string, labels: Record<string, string>) =>
  series(`${name}_bucket`)
    .filter((sample) => Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    .map((sample) => sample.labels.le);

describe('GenAI client metrics after a query', () => {
  const success = () => ({
    gen_ai_operation_name: 'generate_content',
    gen_ai_provider_name: 'gcp.gemini',
    gen_ai_request_model: 'gemini-2.5-flash',
    // The response's modelVersion, reduced to the price-table id it resolves to: a bounded label.
    gen_ai_response_model: 'gemini-2.5-flash',
    server_address: '127.0.0.1',
    server_port: port(),
  });

  it('records gen_ai_client_operation_duration_seconds with the convention attributes and buckets, error_type on failure only', () => {
    expect(series('gen_ai_client_operation_duration_seconds_count').map((sample) => [sample.labels, sample.value])).toEqual([
      [{ ...success(), error_type: '' }, 1],
      [{ ...success(), gen_ai_response_model: '', error_type: 'client_error' }, 1],
    ]);
    expect(bucketBounds('gen_ai_client_operation_duration_seconds', { error_type: 'client_error' })).toEqual([...operationDurationBuckets.map(String), '+Inf']);
  });

  it('records gen_ai_client_token_usage per token type, input with cached and output with reasoning, for the call that had usage', () => {
    const sums = series('gen_ai_client_token_usage_sum').map((sample) => [sample.labels, sample.value]);
    expect(sums).toEqual([
      [{ ...success(), gen_ai_token_type: 'input' }, 1200],
      [{ ...success(), gen_ai_token_type: 'output' }, 400],
    ]);
    expect(bucketBounds('gen_ai_client_token_usage', { gen_ai_token_type: 'input' })).toEqual([...tokenUsageBuckets.map(String), '+Inf']);
    // 1200 tokens: the first bucket holding it is 4096.
    const input = series('gen_ai_client_token_usage_bucket').filter((sample) => sample.labels.gen_ai_token_type === 'input');
    expect(input.find((sample) => sample.labels.le === '1024')?.value).toBe(0);
    expect(input.find((sample) => sample.labels.le === '4096')?.value).toBe(1);
  });

  it('keeps the chapter series next to them', () => {
    expect(series('llm_requests_total').map((sample) => sample.labels)).toEqual([
      { model: 'gemini-2.5-flash', status: 'success' },
      { model: 'gemini-2.5-flash', status: 'error' },
    ]);
    expect(series('llm_latency_seconds_count').length).toBe(1);
  });

  it('gives llm_latency_seconds buckets past the longest call the settings allow (here 85 s)', () => {
    expect(bucketBounds('llm_latency_seconds', {})).toEqual(['0.05', '0.1', '0.25', '0.5', '1', '2', '5', '10', '30', '60', '120', '+Inf']);
  });

  it('passes promtool check metrics without findings', async () => {
    const result = await runBinary('promtool', ['check', 'metrics'], { input: metricsText });
    expectExit(result, 0);
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
  });
});

describe('latency buckets', () => {
  it('keep the chapter buckets and double past 30 s until the last is above the longest call', () => {
    expect(llmLatencyBuckets(0)).toEqual([0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30]);
    expect(llmLatencyBuckets(20)).toEqual([0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30]);
    // A call that lasts exactly as long as allowed (a deadline abort takes a little longer) stays out of +Inf.
    expect(llmLatencyBuckets(30).at(-1)).toBe(60);
    expect(llmLatencyBuckets(30.5).at(-1)).toBe(60);
    expect(llmLatencyBuckets(6_600).slice(8)).toEqual([30, 60, 120, 240, 480, 960, 1920, 3840, 7680]);
  });
});
